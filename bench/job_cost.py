"""What one fix costs: GitHub calls, model-server requests, worker time and memory per job.

    .venv/bin/python bench/job_cost.py [--files 10,1000,10000] [--comments 3,100,400]

Starts the fake GitHub (tests/fakes/github), the scripted model server and a throwaway Redis
in this process, then for every repository size and thread length seeds a generated
repository (tests/support/generated_repo.py) and runs two jobs, each in a fresh worker
process running the worker's own code (`run_job`: jobrunner → handler → pipeline → publish)
with a cold snapshot cache:

- issue → draft PR: the issue labelled `autofix`, with N comments before it;
- `/iquest fix` on a pull request → one review of suggestions, N comments before the ask.

Per job it reports GitHub calls by route (and those charged to the installation's hourly
REST limit: all but the JWT token mint and the codeload download), model-server requests by
path, the worker's wall time without the time spent waiting for the model's answers, its
peak RSS (and the RSS after imports, for scale), and the snapshot's download and extract
time. Prints Markdown tables and writes everything to bench/results/job-cost-*.json.
Exit status 1 when a job did not end as it must (a draft PR, a review).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from job_cost_report import markdown, progress_line, routes_table, summarize
from machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# The worker may run another checkout's code (--code: a baseline measured in the same
# session); the driver always uses this one's fakes.
sys.path.insert(0, os.environ.get("IQUEST_BENCH_CODE", str(ROOT)))

INSTALLATION = 99
SENDER = "alice"


# --- the worker side: one job in this (fresh) process -----------------------------------------
class _TimedModel:
    """Delegates to the real model adapter and adds up the time spent waiting for answers."""

    def __init__(self, model, clock: dict) -> None:
        self._model, self._clock = model, clock

    def complete(self, messages, max_tokens):
        started = time.perf_counter()
        try:
            return self._model.complete(messages, max_tokens)
        finally:
            self._clock["model_seconds"] += time.perf_counter() - started


def _timed_snapshots(snapshots, clock: dict):
    fetch, get = snapshots.fetch_tarball, snapshots.get

    def timed_fetch(owner, repo, sha):
        started = time.perf_counter()
        try:
            return fetch(owner, repo, sha)
        finally:
            clock["download_seconds"] += time.perf_counter() - started

    def timed_get(owner, repo, sha):
        started = time.perf_counter()
        try:
            return get(owner, repo, sha)
        finally:
            clock["snapshot_seconds"] += time.perf_counter() - started

    snapshots.fetch_tarball, snapshots.get = timed_fetch, timed_get
    return snapshots


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS, so the
    # peak read after the job is the job's own, not the warm-up's.
    Path("/proc/self/clear_refs").write_text("5")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def run_worker(warmup_json: str, job_json: str) -> None:
    """Run a warm-up job (imports, connection pools: what a long-lived worker has already
    paid), say so on stdout, wait for the go-ahead on stdin, then run and measure the job."""
    from workers.config import Settings
    from workers.intake.jobs import Job
    from workers.jobrunner import run_job
    from workers.runtime import Runtime

    clock = {"model_seconds": 0.0, "download_seconds": 0.0, "snapshot_seconds": 0.0}

    class MeasuredRuntime(Runtime):
        def fix_services(self, github):
            services = super().fix_services(github)
            return replace(services, model=_TimedModel(services.model, clock),
                           snapshots=_timed_snapshots(services.snapshots, clock))

    settings = Settings(_env_file=None)
    runtime = MeasuredRuntime.build(settings, settings.redis_url or "")
    run_job(Job.model_validate_json(warmup_json), runtime)
    for key in clock:
        clock[key] = 0.0
    _reset_peak_rss()
    rss_warm = _status_kib("VmRSS")
    print("warm", flush=True)
    sys.stdin.readline()
    job = Job.model_validate_json(job_json)
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("run_job(job, runtime)", globals(), locals(), os.environ["BENCH_PROFILE"])
    else:
        run_job(job, runtime)
    wall = time.perf_counter() - started
    print(json.dumps({
        "wall_seconds": wall,
        "wall_without_model_seconds": wall - clock["model_seconds"],
        **clock,
        "extract_seconds": clock["snapshot_seconds"] - clock["download_seconds"],
        "rss_warm_mib": rss_warm / 1024,
        "peak_rss_mib": _status_kib("VmHWM") / 1024,
    }), flush=True)


# --- the driver side ---------------------------------------------------------------------------
def _keypair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def _route(call) -> str:
    if call.operation_id:
        return call.operation_id
    return "codeload" if call.path.startswith("/_codeload/") else f"{call.method} {call.path}"


def _charged(routes: Counter) -> int:
    return sum(n for r, n in routes.items()
               if r not in ("apps/create-installation-access-token", "codeload"))


class Bench:
    def __init__(self, fake, model, redis_url: str, scratch: Path, code: Path = ROOT) -> None:
        self.fake, self.model, self.redis_url, self.scratch = fake, model, redis_url, scratch
        self.code = code
        self.runs = 0
        # The fake's own time per request (OpenAPI validation of both directions, git
        # objects): it stands in for GitHub's latency, and is reported apart.
        self.fake_seconds = 0.0
        dispatch = fake._dispatcher.handle

        def timed(*args):
            started = time.perf_counter()
            try:
                return dispatch(*args)
            finally:
                self.fake_seconds += time.perf_counter() - started

        fake._dispatcher.handle = timed

    def run(self, warmup: dict, job: dict) -> dict:
        from workers.intake.jobs import Job

        self.runs += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
        env.update({
            "IQUEST_APP_ID": str(self.fake.app_id),
            "IQUEST_PRIVATE_KEY": self.fake.private_key,
            "IQUEST_GITHUB_API_URL": self.fake.url,
            "IQUEST_REDIS_URL": self.redis_url,
            # A cold snapshot cache for every job: the first job on a commit.
            "IQUEST_DATA_DIR": str(self.scratch / f"worker-{self.runs}"),
            "IQUEST_MODEL_BASE_URL": self.model.base_url,
            "IQUEST_MODEL_CONTEXT_TOKENS": "32768",
            "IQUEST_GITHUB_WRITE_INTERVAL_SECONDS": "0",
            "IQUEST_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(self.code),
            "IQUEST_BENCH_CODE": str(self.code),
        })
        if os.environ.get("BENCH_PROFILE"):
            env["BENCH_PROFILE"] = f"{os.environ['BENCH_PROFILE']}-{self.runs}"
        worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", Job(**warmup).model_dump_json(),
             Job(**job).model_dump_json()],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT,
        )
        try:
            if worker.stdout.readline().strip() != "warm":
                raise RuntimeError(f"warm-up failed:\n{worker.stderr.read()}")
            github_before, model_before = len(self.fake.log), len(self.model.requests)
            self.fake_seconds = 0.0
            worker.stdin.write("go\n")
            worker.stdin.flush()
            out, err = worker.communicate(timeout=900)
        finally:
            if worker.poll() is None:
                worker.kill()
        if worker.returncode != 0:
            raise RuntimeError(f"worker failed:\n{out}\n{err}")
        measured = json.loads(out.strip().splitlines()[-1])
        routes = Counter(_route(c) for c in self.fake.log[github_before:])
        requests = Counter(f"{r.method} {r.path}" for r in self.model.requests[model_before:])
        return {**measured, "fake_github_seconds": self.fake_seconds,
                "wall_without_model_or_github_seconds":
                    measured["wall_without_model_seconds"] - self.fake_seconds,
                "github_routes": dict(sorted(routes.items())),
                "github_calls": sum(routes.values()), "installation_calls": _charged(routes),
                "model_requests": dict(sorted(requests.items())),
                "tokenize_requests": requests["POST /tokenize"]}


def _seed_thread(fake, repo: str, number: int, comments: int) -> None:
    for index in range(comments):
        user = (SENDER, "bob", f"passer-{index % 37}", f"passer-{index % 11}")[index % 4]
        fake.add_issue_comment(repo, number, f"comment {index} by {user}: still broken here",
                               user=user)


def bench_grid(bench: Bench, files_list: list[int], comments_list: list[int],
               reps: int) -> list[dict]:
    from tests.support.generated_repo import (
        ISSUE_BODY,
        ISSUE_TITLE,
        LEDGER,
        TARGET,
        generate_repo,
    )

    fake, rows = bench.fake, []
    # Its own content, so its commits (and snapshots) are not those measured.
    warm_tree = {**generate_repo(10), "WARMUP.md": "warm-up\n"}
    fake.create_repo("bench/warmup", warm_tree)
    fake.create_repo("bench/warmup-pr",
                     {**warm_tree, TARGET: LEDGER.replace("round(amount, 1)", "round(amount, 2)")})
    for name in ("bench/warmup", "bench/warmup-pr"):
        fake.add_collaborator(name, SENDER, "maintain")
    warmups = iter(range(1_000_000))

    def warm_issue() -> dict:
        issue = fake.open_issue("bench/warmup", ISSUE_TITLE, ISSUE_BODY, user="carol")
        return dict(kind="fix_issue", job_id=f"warm-{issue.number}", delivery_id="warm",
                    installation_id=INSTALLATION, repo_full_name="bench/warmup",
                    number=issue.number, source="issue", sender_login=SENDER)

    def warm_pull() -> dict:
        pull = fake.open_pull("bench/warmup-pr", head=f"warm-{next(warmups)}", title="Warm",
                              user=SENDER, files={TARGET: LEDGER})
        asking = fake.add_issue_comment("bench/warmup-pr", pull.number, "/iquest fix",
                                        user=SENDER)
        return dict(kind="fix_pull", job_id=f"warm-{pull.number}", delivery_id="warm",
                    installation_id=INSTALLATION, repo_full_name="bench/warmup-pr",
                    number=pull.number, source="issue_comment", sender_login=SENDER,
                    comment_id=asking.id)

    for files in files_list:
        tree = generate_repo(files)
        seeded = time.perf_counter()
        repo = f"bench/repo-{files}"
        # main holds the bug for the issue flow; the PR re-introduces it on its own branch.
        fake.create_repo(repo, tree)
        fixed = {**tree, TARGET: LEDGER.replace("round(amount, 1)", "round(amount, 2)")}
        fake.create_repo(f"bench/pr-{files}", fixed)
        for name in (repo, f"bench/pr-{files}"):
            fake.add_collaborator(name, SENDER, "maintain")
            fake.add_collaborator(name, "bob", "write")
        print(f"seeded {files} files in {time.perf_counter() - seeded:.1f} s", file=sys.stderr)
        for comments in comments_list:
            for rep in range(reps):
                rows.append(_issue_run(bench, repo, files, comments, rep, warm_issue()))
                print(progress_line(rows[-1]), file=sys.stderr)
                rows.append(_pull_run(bench, f"bench/pr-{files}", files, comments, rep,
                                      warm_pull()))
                print(progress_line(rows[-1]), file=sys.stderr)
    return rows


def _issue_run(bench: Bench, repo: str, files: int, comments: int, rep: int,
               warmup: dict) -> dict:
    from tests.fakes.model_server import ChatReply
    from tests.support.generated_repo import ISSUE_BODY, ISSUE_TITLE, MODEL_REPLY

    fake = bench.fake
    issue = fake.open_issue(repo, ISSUE_TITLE, ISSUE_BODY, user="carol")
    _seed_thread(fake, repo, issue.number, comments)
    bench.model.script(ChatReply(MODEL_REPLY), ChatReply(MODEL_REPLY))
    result = bench.run(warmup, dict(
        kind="fix_issue", job_id=f"issue-{files}-{comments}-{rep}", delivery_id="bench",
        installation_id=INSTALLATION, repo_full_name=repo, number=issue.number,
        source="issue", sender_login=SENDER))
    result["ok"] = any(p.head_ref == f"iquest/issue-{issue.number}" for p in fake.pulls(repo))
    return {"flow": "issue → draft PR", "files": files, "comments": comments, "rep": rep,
            **result}


def _pull_run(bench: Bench, repo: str, files: int, comments: int, rep: int,
              warmup: dict) -> dict:
    from tests.fakes.model_server import ChatReply
    from tests.support.generated_repo import LEDGER, MODEL_REPLY, TARGET

    fake = bench.fake
    pull = fake.open_pull(repo, head=f"change-{comments}-{rep}", title="Settle faster",
                          user=SENDER, files={TARGET: LEDGER})
    _seed_thread(fake, repo, pull.number, comments)
    asking = fake.add_issue_comment(repo, pull.number, "/iquest fix cents are lost", user=SENDER)
    bench.model.script(ChatReply(MODEL_REPLY), ChatReply(MODEL_REPLY))
    result = bench.run(warmup, dict(
        kind="fix_pull", job_id=f"pull-{files}-{comments}-{rep}", delivery_id="bench",
        installation_id=INSTALLATION, repo_full_name=repo, number=pull.number,
        source="issue_comment", sender_login=SENDER, comment_id=asking.id))
    result["ok"] = len(fake.reviews(repo, pull.number)) == 1
    return {"flow": "/iquest fix → suggestions", "files": files, "comments": comments,
            "rep": rep, **result}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", default="10,1000,10000")
    ap.add_argument("--comments", default="3,100,400")
    ap.add_argument("--reps", type=int, default=3, help="runs per cell; times are medians")
    ap.add_argument("--code", type=Path, default=ROOT,
                    help="run the worker code of this checkout (e.g. an export of main)")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        run_worker(*args.worker)
        return 0

    from tests.fakes.github.fixtures import serve_fake
    from tests.fakes.github.spec import load_spec
    from tests.fakes.model_server import ScriptedModelServer
    from workers.operations.redis_server import start_embedded_redis

    private, public = _keypair()
    from tests.fakes.github.fixtures import AppKeypair

    with tempfile.TemporaryDirectory(prefix="iquest-job-cost-") as scratch_dir:
        scratch = Path(scratch_dir)
        redis = start_embedded_redis(scratch / "redis")
        try:
            with serve_fake(load_spec(), AppKeypair(private, public)) as fake, \
                    ScriptedModelServer() as model:
                fake.add_installation(INSTALLATION, "bench")
                bench = Bench(fake, model, redis.url, scratch, args.code.resolve())
                rows = bench_grid(bench, [int(x) for x in args.files.split(",")],
                                  [int(x) for x in args.comments.split(",")], args.reps)
        finally:
            redis.stop()
    info = describe_machine()
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"job-cost-{stamp}.json"
    summary = summarize(rows)
    path.write_text(json.dumps({"machine": info, "code": str(args.code), "summary": summary,
                                "runs": rows},
                               indent=1) + "\n")
    print(f"machine: {info}\n")
    print(markdown(summary) + "\n")
    print(routes_table(rows) + "\n")
    print(f"raw results: {path.relative_to(ROOT)}")
    failed = [r for r in summary if not (r["ok"] and r["same_counts"])]
    for r in failed:
        print(f"FAILED: {r['flow']} files={r['files']} comments={r['comments']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
