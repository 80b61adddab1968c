"""Cancel flags: a job told to stop notices before its next model call or GitHub write."""

from __future__ import annotations

import redis

# Long enough to outlive any job and its retries.
_FLAG_TTL_SECONDS = 24 * 3600


class JobCancelled(RuntimeError):
    """The job was cancelled; it writes nothing more (its final status is already written)."""


def _key(job_id: str) -> str:
    return f"iquest:cancel:{job_id}"


class CancelFlags:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def cancel(self, job_id: str, reason: str) -> None:
        self._redis.set(_key(job_id), reason, ex=_FLAG_TTL_SECONDS)

    def reason(self, job_id: str) -> str | None:
        value = self._redis.get(_key(job_id))
        return value.decode() if isinstance(value, bytes) else value

    def guard(self, job_id: str):  # type: ignore[no-untyped-def]
        """A check to run before each stage, model call and write: raises once cancelled."""

        def check() -> None:
            reason = self.reason(job_id)
            if reason is not None:
                raise JobCancelled(reason)

        return check
