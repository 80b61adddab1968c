"""Time verification adds per showcase job: pipeline alone vs with tests (baseline cold, cached)."""
import shutil, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, ".")
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from workers.model.openai_compat import OpenAICompatModel
from workers.model.tokenizer import VllmTokenizer
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.run import propose_fix
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.port import Limits
from workers.sandbox.select import SandboxBackend, build_sandbox

SHOWCASE = Path("tests/fixtures/showcase")
GOOD = (SHOWCASE / "model_response.md").read_text()
TITLE, _, BODY = (SHOWCASE / "issue.md").read_text().partition("\n")
work = Path(tempfile.mkdtemp())
root = work / "repo"
shutil.copytree(SHOWCASE / "repo", root)
sandbox = build_sandbox(SandboxBackend.AUTO)
print("sandbox:", sandbox.name, sandbox.reason)
times = {"pipeline": [], "cold": [], "cached": []}
with ScriptedModelServer() as server:
    model = OpenAICompatModel(server.base_url, server.model, max_retries=0)
    tok = VllmTokenizer(server.base_url, server.model)
    for rep in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        for mode in ("pipeline", "cold", "cached"):
            server.script(*[ChatReply(GOOD)] * 2)
            cache = work / f"cache-{rep}"
            verify = None if mode == "pipeline" else Verifier(sandbox, Limits(wall_seconds=300), cache_dir=cache).verify
            start = time.perf_counter()
            out = propose_fix(root, "acme/login", IssueText(7, TITLE, BODY), model, tok, 32768, verify=verify)
            times[mode].append(time.perf_counter() - start)
            if verify:
                v = out.proposal.verification
                summary = v.summary()
            server.requests.clear() if hasattr(server.requests, "clear") else None
    print(summary)
med = {k: statistics.median(v) for k, v in times.items()}
for k, v in times.items():
    print(k, "median %.2f s" % med[k], ["%.2f" % x for x in v])
print("ratio cold/pipeline %.1f, cached/pipeline %.1f" % (med["cold"] / med["pipeline"], med["cached"] / med["pipeline"]))
