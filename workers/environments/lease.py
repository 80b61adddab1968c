"""One build per environment key across workers: whoever holds the lease builds, others wait.

`RedisLease` spans every worker of a deployment (SET NX with an expiry, released only by its
holder); `FileLease` spans the processes of one machine (flock), for the CLI and for workers
that share a cache folder without Redis.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path
from typing import Protocol

RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Lease(Protocol):
    def acquire(self, key: str, seconds: float) -> str | None:
        """A token when this caller now holds the lease of key; None when someone else does."""
        ...

    def release(self, key: str, token: str) -> None: ...


class RedisLease:
    def __init__(self, redis, prefix: str = "iquest:env-build:"):
        self.redis = redis
        self.prefix = prefix

    def acquire(self, key: str, seconds: float) -> str | None:
        token = uuid.uuid4().hex
        if self.redis.set(self.prefix + key, token, nx=True, px=int(seconds * 1000)):
            return token
        return None

    def release(self, key: str, token: str) -> None:
        self.redis.eval(RELEASE, 1, self.prefix + key, token)


class FileLease:
    def __init__(self, folder: Path):
        self.folder = folder
        self.held: dict[str, int] = {}

    def acquire(self, key: str, seconds: float) -> str | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        token = uuid.uuid4().hex
        self.held[token] = descriptor
        return token

    def release(self, key: str, token: str) -> None:
        descriptor = self.held.pop(token, None)
        if descriptor is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)
