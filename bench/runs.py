"""One server's measured runs: start it, preflight it, drive each workload at each concurrency, check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from deliveries import Signed
from engines import PATH, Tally, run_python, run_wrk
from processes import HOST, CpuWindow, Owned, free_port, other_load, wait_http

BENCH = Path(__file__).resolve().parent
WORKLOADS = ("trigger", "non-trigger")
SERVERS = ("bare", "verify", "lpush", "iquest")
QUEUES = {"lpush": "bench:ref", "iquest": "iquest"}


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int


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
