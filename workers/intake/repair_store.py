"""Redis records of /repair jobs: the caller's request and the job's result, shared by edge and worker."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

_PREFIX = "iquest:repair:"


class RepairStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


FINAL_STATUSES = frozenset({RepairStatus.DONE, RepairStatus.REFUSED, RepairStatus.FAILED})


class RepairRequest(BaseModel):
    """What the worker needs, already validated by the edge."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str = ""
    files: dict[str, str]


class RepairResult(BaseModel):
    """What GET /jobs/{id} answers."""

    model_config = ConfigDict(frozen=True)

    status: RepairStatus
    root_cause: str = ""
    diff: str = ""
    tests: str = ""
    reason: str = ""
    # The "Verification" section (Markdown): what was run and what it showed, or why nothing ran.
    verification: str = ""
    # The receipt (Markdown, compact: a table and the whole of it collapsed); "" without a fix.
    receipt: str = ""
    verified: bool = False  # the receipt holds: tests ran, nothing regressed, reproduced if new


def request_key(job_id: str) -> str:
    return f"{_PREFIX}{job_id}:request"


def result_key(job_id: str) -> str:
    return f"{_PREFIX}{job_id}:result"


class AsyncRedis(Protocol):
    """The few redis.asyncio.Redis operations the edge uses."""

    def pipeline(self, transaction: bool = True) -> Any: ...

    async def get(self, name: str) -> Any: ...


class SyncRedis(Protocol):
    """The few redis.Redis operations the worker uses."""

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: str, ex: int | None = None) -> Any: ...


class AsyncRepairStore:
    """The edge's side: record a new request, read a result."""

    def __init__(self, redis: AsyncRedis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def save_request(self, job_id: str, request: RepairRequest) -> None:
        # One MULTI, so a job id never has a request without a status or the other way round.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(request_key(job_id), request.model_dump_json(), ex=self._ttl)
            queued = RepairResult(status=RepairStatus.QUEUED)
            pipe.set(result_key(job_id), queued.model_dump_json(), ex=self._ttl)
            await pipe.execute()

    async def take_daily(self, token: bytes, limit: int) -> bool:
        """Count one request against the token's daily quota; False when it is spent.

        /repair jobs compete with every installation's fixes for the model, so whoever holds
        the token gets `limit` a day (UTC), not the whole deployment.
        """
        digest = hashlib.sha256(token).hexdigest()[:16]
        key = f"iquest:window:repair:{digest}:{datetime.now(UTC):%Y-%m-%d}"
        used = await self._redis.incr(key)
        if used == 1:
            await self._redis.expire(key, 2 * 24 * 3600)
        return used <= limit

    async def load_result(self, job_id: str) -> RepairResult | None:
        raw = await self._redis.get(result_key(job_id))
        return None if raw is None else RepairResult.model_validate_json(raw)


class RepairStore:
    """The worker's side: read the request, write the result as the job moves on."""

    def __init__(self, redis: SyncRedis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    def load_request(self, job_id: str) -> RepairRequest | None:
        raw = self._redis.get(request_key(job_id))
        return None if raw is None else RepairRequest.model_validate_json(raw)

    def load_result(self, job_id: str) -> RepairResult | None:
        raw = self._redis.get(result_key(job_id))
        return None if raw is None else RepairResult.model_validate_json(raw)

    def save_result(self, job_id: str, result: RepairResult) -> None:
        self._redis.set(result_key(job_id), result.model_dump_json(), ex=self._ttl)
