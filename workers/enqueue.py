"""Durable enqueue from the edge: dedupe the delivery and queue the job in one Redis round trip.

Celery's `send_task` costs ~0.5 ms of client setup per publish on this machine and blocks
the event loop; the edge instead writes the same Celery protocol-2 message that kombu's
Redis transport would, with one atomic script that also records the delivery id. A Celery
worker consumes it like any other task message.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from workers.jobs import Job
from workers.queues import queue_for

DELIVERY_KEY_PREFIX = "iquest:delivery:"
# Our own message header: when the edge queued the job (Unix seconds). Celery passes unknown
# headers through; the metrics endpoint reads it from the oldest message to report queue age.
ENQUEUED_AT_HEADER = "iquest_enqueued_at"

# Atomic: a delivery is remembered as seen only together with its queued message, so a
# failed enqueue can be redelivered. KEYS: delivery key, queue list. ARGV: ttl, job id, message.
_ENQUEUE_ONCE_LUA = """
local seen = redis.call('GET', KEYS[1])
if seen then
  return {0, seen}
end
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[1]))
return {1, ARGV[2]}
"""

_ORIGIN = f"iquest-edge@{socket.gethostname()}:{os.getpid()}"


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class EnqueueResult:
    outcome: EnqueueOutcome
    job_id: str


class EnqueueUnavailable(RuntimeError):
    """The queue could not take the job; the delivery must be reported as failed."""


class AsyncScriptRunner(Protocol):
    def register_script(self, script: str) -> Any: ...


_EMBED = '{"callbacks": null, "errbacks": null, "chain": null, "chord": null}'


def build_task_message(task_name: str, task_id: str, queue: str, args: list[Any]) -> str:
    """A Celery protocol-2 message as kombu's Redis transport stores it in the queue list."""
    return build_task_message_from_json(task_name, task_id, queue, json.dumps(args))


def build_task_message_from_json(task_name: str, task_id: str, queue: str, args_json: str) -> str:
    """The same message from already-serialised positional args (the edge's hot path).

    Only the body, ids and names vary; the envelope is filled in as text rather than
    rebuilt and re-encoded as a dict for every delivery.
    """
    body = base64.b64encode(f"[{args_json}, {{}}, {_EMBED}]".encode()).decode()
    return _ENVELOPE.format(
        body=body,
        task=json.dumps(task_name),
        id=json.dumps(task_id),
        argsrepr=json.dumps(f"<{task_name} {task_id}>"),
        origin=_ORIGIN_JSON,
        queue=json.dumps(queue),
        tag=json.dumps(str(uuid.uuid4())),
        enqueued_at=f"{time.time():.3f}",
    )


_ORIGIN_JSON = json.dumps(_ORIGIN)
# Key order and fields as kombu writes them; a test compares with a real send_task.
_ENVELOPE = (
    '{{"body": "{body}", "content-encoding": "utf-8", "content-type": "application/json", '
    '"headers": {{"lang": "py", "task": {task}, "id": {id}, "shadow": null, "eta": null, '
    '"expires": null, "group": null, "group_index": null, "retries": 0, '
    '"timelimit": [null, null], "root_id": {id}, "parent_id": null, "argsrepr": {argsrepr}, '
    '"kwargsrepr": "{{}}", "origin": {origin}, "ignore_result": true, '
    '"replaced_task_nesting": 0, "stamped_headers": null, "stamps": {{}}, '
    f'"{ENQUEUED_AT_HEADER}": {{enqueued_at}}}}}}, '
    '"properties": {{"correlation_id": {id}, "reply_to": "", "delivery_mode": 2, '
    '"delivery_info": {{"exchange": "", "routing_key": {queue}}}, "priority": 0, '
    '"body_encoding": "base64", "delivery_tag": {tag}}}}}'
)


class RedisEnqueuer:
    """Queues jobs for the Celery workers; `redis` is a redis.asyncio client.

    `queue` is IQUEST_QUEUE_NAME; each job lands on the queue `workers.queues` names for its kind.
    """

    def __init__(self, redis: AsyncScriptRunner, queue: str, delivery_ttl_seconds: int) -> None:
        self._script = redis.register_script(_ENQUEUE_ONCE_LUA)
        self._base_queue = queue
        self._ttl = delivery_ttl_seconds

    async def enqueue(self, job: Job) -> EnqueueResult:
        queue = queue_for(job.kind, self._base_queue)
        message = build_task_message_from_json(
            job.task_name, job.job_id, queue, f"[{job.model_dump_json()}]"
        )
        keys = [DELIVERY_KEY_PREFIX + job.delivery_id, queue]
        try:
            queued, job_id = await self._script(keys=keys, args=[self._ttl, job.job_id, message])
        except Exception as error:  # any Redis failure means "not durably queued"
            raise EnqueueUnavailable(f"queue unavailable: {type(error).__name__}") from error
        if isinstance(job_id, bytes):
            job_id = job_id.decode()
        outcome = EnqueueOutcome.QUEUED if queued == 1 else EnqueueOutcome.DUPLICATE
        return EnqueueResult(outcome, job_id)


@dataclass(frozen=True)
class QueueStats:
    depth: int
    oldest_enqueued_at: float | None  # None: empty, or no message carries our header


class AsyncListReader(Protocol):
    async def llen(self, name: str) -> Any: ...

    async def lrange(self, name: str, start: int, end: int) -> Any: ...


# kombu LPUSHes and workers BRPOP, so the oldest messages sit at the right end of the list.
# Messages Celery publishes itself (a retry) have no enqueue header; look past a few of them.
_OLDEST_SCAN = 16


async def read_queue_stats(redis: AsyncListReader, queue: str) -> QueueStats:
    """The queue's length and when its oldest waiting job was queued, read at scrape time."""
    depth = int(await redis.llen(queue))
    oldest: float | None = None
    if depth:
        for raw in reversed(await redis.lrange(queue, -_OLDEST_SCAN, -1)):
            try:
                stamp = json.loads(raw)["headers"].get(ENQUEUED_AT_HEADER)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            if isinstance(stamp, int | float):
                oldest = float(stamp)
                break
    return QueueStats(depth, oldest)
