"""Model-call slots shared by every worker: a Redis semaphore whose holders hold leases.

Holders live in a sorted set scored by lease expiry (the server's clock, so workers on
different machines agree). A worker killed while holding a slot stops renewing it, and the
next acquire reaps the expired lease: the slot comes back by itself within one lease.
Waiters block on a wake-up list (BLPOP) that every release pushes to, with a timeout no
longer than the earliest lease expiry, so waiting never spins and a reaped slot is noticed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

# KEYS: holders, waiters. ARGV: holder id, limit, lease ms, waiter id.
# Returns {1, 0} when acquired, else {0, ms until the earliest lease expires, waiters ahead}.
_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return {1, 0, 0}
end
-- A waiter is remembered for one lease, refreshed on every try, so a dead one drops out.
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ahead = redis.call('ZCARD', KEYS[2]) - 1
return {0, math.max(tonumber(first[2]) - now, 1), ahead}
"""

# KEYS: holders, wake list. ARGV: holder id, limit. Wakes one waiter per freed slot.
_RELEASE_LUA = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], '1')
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[2], 60000)
  return 1
end
return 0
"""

# KEYS: holders. ARGV: holder id, lease ms. 0 when the lease had already been reaped.
_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0
"""


class SlotWaitTimeout(RuntimeError):
    """No slot came free within the longest wait allowed."""


@dataclass(frozen=True)
class SlotPolicy:
    limit: int
    lease_seconds: float
    max_wait_seconds: float


class ModelSlots:
    """At most `policy.limit` holders at once across every process sharing `prefix`."""

    def __init__(self, client: redis.Redis, policy: SlotPolicy, prefix: str = "iquest:model") -> None:
        if policy.limit < 1:
            raise ValueError("the model concurrency limit must be at least 1")
        self.policy = policy
        self._redis = client
        self._holders = f"{prefix}:holders"
        self._waiters = f"{prefix}:waiters"
        self._wake = f"{prefix}:wake"
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._release = client.register_script(_RELEASE_LUA)
        self._renew = client.register_script(_RENEW_LUA)

    @property
    def _lease_ms(self) -> int:
        return max(int(self.policy.lease_seconds * 1000), 1)

    def holders(self) -> int:
        """Slots held now, counting leases not yet reaped."""
        return int(self._redis.zcard(self._holders))

    def acquire(self, on_wait: Callable[[int], None] | None = None) -> str:
        """Block until a slot is held; returns the holder id. `on_wait(ahead)` is called once."""
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + self.policy.max_wait_seconds
        told = False
        while True:
            got, wait_ms, ahead = self._acquire(
                keys=[self._holders, self._waiters],
                args=[holder, self.policy.limit, self._lease_ms, holder],
            )
            if got == 1:
                return holder
            if on_wait is not None and not told:
                on_wait(int(ahead))
                told = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._redis.zrem(self._waiters, holder)
                raise SlotWaitTimeout(
                    f"no model slot came free within {self.policy.max_wait_seconds:.0f} s"
                )
            # Woken by a release, or at the earliest lease expiry to reap a dead holder.
            self._redis.blpop([self._wake], timeout=max(min(remaining, wait_ms / 1000), 0.01))

    def release(self, holder: str) -> None:
        self._release(keys=[self._holders, self._wake], args=[holder, self.policy.limit])

    def renew(self, holder: str) -> bool:
        return bool(self._renew(keys=[self._holders], args=[holder, self._lease_ms]))

    @contextmanager
    def held(self, on_wait: Callable[[int], None] | None = None) -> Iterator[str]:
        """Hold a slot for the block, renewing the lease in the background while it runs."""
        holder = self.acquire(on_wait)
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._keep_renewing, args=(holder, stop), name="model-slot-lease", daemon=True
        )
        renewer.start()
        try:
            yield holder
        finally:
            stop.set()
            renewer.join(timeout=5)
            self.release(holder)

    def _keep_renewing(self, holder: str, stop: threading.Event) -> None:
        # A third of a lease between renewals leaves two chances before it would expire.
        while not stop.wait(self.policy.lease_seconds / 3):
            try:
                self.renew(holder)
            except redis.RedisError:
                continue  # the next renewal tries again; a lost lease only costs the cap
