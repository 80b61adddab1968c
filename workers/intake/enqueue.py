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

from workers.intake.jobs import GITHUBLESS_KINDS, Job, JobKind
from workers.intake.queues import notices_queue, queue_for
from workers.scheduling.lines import (
    ANNOUNCE_TASK,
    ENQUEUE_LUA,
    JOBS_KEY,
    NEXT_JOB_TASK,
    line_key,
    priority_for,
    ring_key,
    target_key,
    tenant_of,
)

DELIVERY_KEY_PREFIX = "iquest:delivery:"
# Our own message header: when the edge queued the job (Unix seconds). Celery passes unknown
# headers through; the metrics endpoint reads it from the oldest message to report queue age.
ENQUEUED_AT_HEADER = "iquest_enqueued_at"

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


# Kinds with a status comment, which learns its place in the line while the job waits.
# An alert job has no thread to announce on (its number is the alert's, not an issue's).
_ANNOUNCED = frozenset(JobKind) - GITHUBLESS_KINDS - {
    JobKind.HELP, JobKind.CANCEL, JobKind.FIX_ALERT, JobKind.LEDGER}


class RedisEnqueuer:
    """Queues jobs for the Celery workers; `redis` is a redis.asyncio client.

    One script: dedupe the delivery, put the job on its installation's waiting line, queue a
    Celery ticket (see workers.scheduling.lines) and, for jobs with a status comment, an announcement.
    """

    def __init__(self, redis: AsyncScriptRunner, queue: str, delivery_ttl_seconds: int) -> None:
        self._script = redis.register_script(ENQUEUE_LUA)
        self._queue = queue
        self._ttl = delivery_ttl_seconds

    async def enqueue(self, job: Job) -> EnqueueResult:
        # `workers.intake.queues` names the queue for the kind; the job's line belongs to that queue.
        queue = queue_for(job.kind, self._queue)
        job_json = job.model_dump_json()
        ticket = build_task_message_from_json(
            NEXT_JOB_TASK, job.job_id, queue, json.dumps([job.job_id])
        )
        announce_queue = announce = ""
        if job.kind in _ANNOUNCED:
            announce_queue = notices_queue(queue)
            announce = build_task_message_from_json(
                ANNOUNCE_TASK, str(uuid.uuid4()), announce_queue, json.dumps([job.job_id, queue])
            )
        priority, tenant = priority_for(job.kind), tenant_of(job)
        keys = [
            DELIVERY_KEY_PREFIX + job.delivery_id,
            queue,
            JOBS_KEY,
            line_key(queue, priority, tenant),
            ring_key(queue, priority),
            target_key(job),
        ]
        args = [self._ttl, job.job_id, ticket, job_json, tenant, announce_queue, announce]
        try:
            queued, job_id = await self._script(keys=keys, args=args)
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
