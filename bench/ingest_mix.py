"""Ingest with counts: a sustained mix of real deliveries to `iquest serve`, then what was queued.

Mostly real non-trigger payloads, some triggers, some redeliveries of triggers already
answered, some bad signatures — sent by concurrent clients to `iquest serve` with a real Redis
(append-only). Run twice: steady, and with Redis restarted in the middle. Then the queue is read
back and counted: every trigger answered 2xx is queued exactly once, no redelivery queued a
second, no bad signature and no non-trigger queued anything, a 503 queued at most once.

    .venv/bin/python bench/ingest_mix.py [--seconds 20] [--concurrency 16]

Reads ../shared/github/webhooks/ (real payloads); writes bench/results/ingest-mix-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import signal
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from deliveries import Signed, load_sets
from engines import PATH
from processes import HOST, Owned, free_port, redis_server_binary
from runs import QUEUES, start_server

from workers.intake.jobs import job_id_for_delivery

BENCH = Path(__file__).resolve().parent
MIX = (("non-trigger", 0.80), ("trigger", 0.10), ("redelivery", 0.05), ("bad-signature", 0.05))


@dataclass
class Sent:
    kind: str
    delivery: str
    status: int  # 0: no answer (socket error, timeout)
    seconds: float


@dataclass
class Run:
    name: str
    sent: list[Sent] = field(default_factory=list)
    outage: tuple[float, float] | None = None  # seconds into the run: Redis stopped, back


class Redis:
    """A redis-server we own, on a fixed port, append-only, restartable."""

    def __init__(self, owned: Owned, workdir: Path) -> None:
        self.owned, self.workdir, self.port = owned, workdir, free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        cmd = [redis_server_binary(), "--port", str(self.port), "--bind", HOST, "--save", "",
               "--appendonly", "yes", "--dir", str(self.workdir), "--daemonize", "no"]
        self.proc = self.owned.start("redis", cmd, {"PATH": os.environ.get("PATH", "")},
                                     self.workdir)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: redis did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.owned.stop(self.proc)  # SIGTERM: redis-server flushes its AOF and exits


async def _drive(port: int, sets: dict[str, list[Signed]], run: Run,
                 seconds: float, concurrency: int, seed: int,
                 restart: Redis | None) -> None:
    rng = random.Random(seed)
    answered_triggers: list[tuple[Signed, str]] = []
    start = time.monotonic()
    stop_at = start + seconds

    def pick() -> tuple[str, Signed, str, str]:
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "redelivery" and answered_triggers:
            signed, delivery = rng.choice(answered_triggers)
            return kind, signed, delivery, signed.sha256
        if kind == "redelivery":
            kind = "trigger"
        source = "non-trigger" if kind == "non-trigger" else "trigger"
        signed = rng.choice(sets[source])
        signature = signed.sha256
        if kind == "bad-signature":
            signature = "sha256=" + secrets.token_hex(32)
        return kind, signed, str(uuid.uuid4()), signature

    async def client() -> None:
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=10) as http:
            while time.monotonic() < stop_at:
                kind, signed, delivery, signature = pick()
                began = time.monotonic()
                try:
                    answer = await http.post(PATH, content=signed.body, headers={
                        "Content-Type": "application/json", "X-GitHub-Event": signed.event,
                        "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature,
                        "User-Agent": "GitHub-Hookshot/bench"})
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
                run.sent.append(Sent(kind, delivery, status, time.monotonic() - began))
                if kind == "trigger" and 200 <= status < 300:
                    answered_triggers.append((signed, delivery))

    async def outage() -> None:
        await asyncio.sleep(seconds / 3)  # a load schedule, not synchronisation
        down = time.monotonic() - start
        await asyncio.to_thread(restart.stop)
        await asyncio.sleep(2)  # the outage lasts two seconds of load
        await asyncio.to_thread(restart.start)
        run.outage = (down, time.monotonic() - start)

    tasks = [client() for _ in range(concurrency)]
    if restart is not None:
        tasks.append(outage())
    await asyncio.gather(*tasks)


def count(run: Run, queued: Counter[str], elapsed: float) -> dict:
    """The checks; `queued` counts queued job ids."""
    by_kind: dict[str, Counter[int]] = {}
    for sent in run.sent:
        by_kind.setdefault(sent.kind, Counter())[sent.status] += 1
    job = {s.delivery: job_id_for_delivery(s.delivery) for s in run.sent}
    ok = [s for s in run.sent if s.kind == "trigger" and 200 <= s.status < 300]
    refused = [s for s in run.sent if s.kind == "trigger" and not 200 <= s.status < 300]
    problems = {
        "2xx trigger not queued exactly once": sum(queued[job[s.delivery]] != 1 for s in ok),
        "refused trigger queued more than once": sum(queued[job[s.delivery]] > 1
                                                     for s in refused),
        "bad signature not 401": sum(s.status != 401 for s in run.sent
                                     if s.kind == "bad-signature"),
        "bad signature queued": sum(queued[job[s.delivery]] for s in run.sent
                                    if s.kind == "bad-signature"),
        "non-trigger queued": sum(queued[job[s.delivery]] for s in run.sent
                                  if s.kind == "non-trigger"),
        "queued jobs of no trigger delivery": sum(queued.values()) - len(
            {job[s.delivery] for s in run.sent if s.kind in ("trigger", "redelivery")}
            & set(queued)),
    }
    latencies = sorted(s.seconds for s in run.sent if s.status)
    return {
        "run": run.name, "seconds": round(elapsed, 1), "requests": len(run.sent),
        "rps": round(len(run.sent) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "answers": {kind: dict(sorted(c.items())) for kind, c in sorted(by_kind.items())},
        "queued_jobs": sum(queued.values()),
        "outage_s": [round(t, 1) for t in run.outage] if run.outage else None,
        "problems": problems,
    }


def measure(name: str, seconds: float, concurrency: int, restart: bool) -> dict:
    secret = secrets.token_hex(16)
    sets = load_sets(secret.encode())
    with tempfile.TemporaryDirectory(prefix="iquest-ingest-") as tmp:
        workdir = Path(tmp)
        owned = Owned(workdir)
        try:
            server_redis = Redis(owned, workdir)
            server_redis.start()
            server = start_server(owned, "iquest", workdir, secret, server_redis.url)
            run = Run(name)
            began = time.monotonic()
            asyncio.run(_drive(server.port, sets, run, seconds, concurrency, seed=7,
                               restart=server_redis if restart else None))
            elapsed = time.monotonic() - began
            client = redis.Redis.from_url(server_redis.url)
            queued = Counter(json.loads(m)["headers"]["id"]
                             for m in client.lrange(QUEUES["iquest"], 0, -1))
            client.close()
            return count(run, queued, elapsed)
        finally:
            owned.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(1)))
    results = {
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_1m": os.getloadavg()[0]},
        "mix": dict(MIX), "concurrency": args.concurrency,
        "runs": [measure("steady", args.seconds, args.concurrency, restart=False),
                 measure("redis restart", args.seconds, args.concurrency, restart=True)],
    }
    out = BENCH / "results" / f"ingest-mix-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for run in results["runs"]:
        print(json.dumps(run))
    print(f"written to {out}")
    failed = [p for run in results["runs"] for p, n in run["problems"].items() if n]
    if failed:
        print("FAILED:", ", ".join(sorted(set(failed))))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
