"""The per-target lease: one job at a time on an issue or pull request, held only while it lives.

A job holds a short lease (seconds) on its target and a daemon thread renews it while the job
runs. A holder that dies (a pool process SIGKILLed by the OOM killer, a lost machine) stops
renewing, so its lease ends within seconds instead of at the job's time limit. The lease names
its job, so the same job's re-run (Celery redelivers a job whose worker was lost) takes the
lease over at once; a different job waits for the lease's real remaining time.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

log = logging.getLogger("iquest.target_lock")

_KEY_PREFIX = "iquest:lock:"

# Take the lease when it is free or held by an earlier attempt of the same job; otherwise
# answer who holds it and for how much longer (milliseconds).
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if (not current) or string.sub(current, 1, string.len(ARGV[2]) + 1) == ARGV[2] .. ' ' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {1, 0, current or ''}
end
return {0, redis.call('PTTL', KEYS[1]), current}
"""
# Compare-and-set: only the attempt that holds the lease may renew or release it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class TargetLeased(Exception):
    """Another job holds the target; `remaining_seconds` is what is left of its lease."""

    def __init__(self, target_key: str, holder_job_id: str, remaining_seconds: float) -> None:
        self.target_key = target_key
        self.holder_job_id = holder_job_id
        self.remaining_seconds = remaining_seconds
        super().__init__(
            f"another job ({holder_job_id[:12]}) is running on {target_key}; "
            f"its lease ends in {remaining_seconds:.1f}s unless it is renewed"
        )


@dataclass
class Lease:
    """A held lease. `lost` is set when the heartbeat found the lease taken over or gone."""

    key: str
    token: str
    job_id: str
    lost: threading.Event


class TargetLocks:
    """Leases on targets in one Redis; `lease_seconds` is how long a silent holder keeps one."""

    def __init__(self, client: redis.Redis, lease_seconds: float) -> None:
        if lease_seconds <= 0:
            raise ValueError(f"a lease must last a positive time, not {lease_seconds}s")
        self._redis = client
        self.lease_seconds = lease_seconds
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease_seconds * 1000))

    def acquire(self, target_key: str, job_id: str) -> Lease:
        """Take the target's lease for `job_id`, or raise TargetLeased. No heartbeat yet."""
        if " " in job_id or not job_id:
            raise ValueError(f"a job id names the lease holder and has no spaces: {job_id!r}")
        key = _KEY_PREFIX + target_key
        # The job id first (what a re-run matches on), then this attempt's own nonce.
        token = f"{job_id} {uuid.uuid4().hex}"
        taken, pttl_ms, previous = self._acquire(keys=[key], args=[token, job_id, self._lease_ms])
        previous = previous.decode() if isinstance(previous, bytes) else str(previous)
        if not taken:
            holder = previous.split(" ", 1)[0]
            # PTTL is -2 when the key vanished between the calls: free now, so retry at once.
            raise TargetLeased(target_key, holder, max(int(pttl_ms), 0) / 1000)
        if previous:
            log.warning("job=%s took over its own lease on %s from an earlier attempt",
                        job_id, target_key)
        return Lease(key=key, token=token, job_id=job_id, lost=threading.Event())

    def renew(self, lease: Lease) -> bool:
        """Extend the lease to a full term; False when this attempt no longer holds it."""
        return bool(self._renew(keys=[lease.key], args=[lease.token, self._lease_ms]))

    def release(self, lease: Lease) -> bool:
        """Give the lease up; False when it was already gone or taken over."""
        return bool(self._release(keys=[lease.key], args=[lease.token]))

    @contextmanager
    def hold(self, target_key: str, job_id: str) -> Iterator[Lease]:
        """Hold the target's lease for the block, renewed a few times per term by a heartbeat."""
        lease = self.acquire(target_key, job_id)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(lease, stop), name=f"lease {target_key}", daemon=True
        )
        beat.start()
        try:
            yield lease
        finally:
            stop.set()
            beat.join(timeout=self.lease_seconds)
            try:
                self.release(lease)
            except redis.RedisError as error:  # the lease ends by itself within one term
                log.warning("could not release the lease on %s: %s", target_key, error)

    def _heartbeat(self, lease: Lease, stop: threading.Event) -> None:
        # Three renewals per term: one lost to a slow Redis does not end the lease.
        interval = self.lease_seconds / 3
        while not stop.wait(interval):
            try:
                if not self.renew(lease):
                    lease.lost.set()
                    log.error("job=%s lost its lease on %s (taken over or expired)",
                              lease.job_id, lease.key)
                    return
            except redis.RedisError as error:
                log.warning("job=%s could not renew its lease on %s: %s",
                            lease.job_id, lease.key, error)
