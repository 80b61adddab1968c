"""What verification adds to a showcase job: the pipeline alone, with tests (baseline cold), cached.

Runs `propose_fix` on the showcase repository with the scripted model server (one good answer
per job) three ways, `--reps` times each, and prints medians and ratios to the pipeline alone:
no verifier; a verifier whose baseline cache is empty; the same with the baseline cached.
Usage: .venv/bin/python bench/verify_overhead.py [--reps 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.model_server import ChatReply, ScriptedModelServer  # noqa: E402
from workers.model.openai_compat import OpenAICompatModel  # noqa: E402
from workers.model.tokenizer import VllmTokenizer  # noqa: E402
from workers.pipeline.prompts.fix import IssueText  # noqa: E402
from workers.pipeline.run import propose_fix  # noqa: E402
from workers.pipeline.verify.verify import Verifier  # noqa: E402
from workers.sandbox.port import Limits  # noqa: E402
from workers.sandbox.select import SandboxBackend, build_sandbox  # noqa: E402

SHOWCASE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "showcase"
MODES = ("pipeline", "cold", "cached")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    answer = (SHOWCASE / "model_response.md").read_text()
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    issue = IssueText(7, title, body)
    work = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    root = work / "repo"
    shutil.copytree(SHOWCASE / "repo", root)
    sandbox = build_sandbox(SandboxBackend.AUTO, work / "scratch")
    if not sandbox.available:
        print(f"no sandbox: {sandbox.reason}")
        return 1
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    summary = ""
    with ScriptedModelServer() as server:
        model = OpenAICompatModel(server.base_url, server.model, max_retries=0)
        tokenizer = VllmTokenizer(server.base_url, server.model)
        for rep in range(args.reps):
            cache = work / f"cache-{rep}"  # empty for "cold", filled by it for "cached"
            for mode in MODES:
                server.script(ChatReply(answer))
                verify = None
                if mode != "pipeline":
                    verify = Verifier(sandbox, Limits(wall_seconds=300), cache_dir=cache).verify
                started = time.perf_counter()
                outcome = propose_fix(root, "acme/login", issue, model, tokenizer, 32768, verify=verify)
                times[mode].append(time.perf_counter() - started)
                if outcome.proposal and outcome.proposal.verification:
                    summary = outcome.proposal.verification.summary()
        tokenizer.close()
    shutil.rmtree(work, ignore_errors=True)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    print(summary)
    for mode in MODES:
        print(f"{mode:9s} median {medians[mode]:.2f} s  runs {[round(t, 2) for t in times[mode]]}")
    for mode in ("cold", "cached"):
        print(
            f"{mode}: +{medians[mode] - medians['pipeline']:.2f} s per job, "
            f"{medians[mode] / medians['pipeline']:.1f}x the pipeline alone"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
