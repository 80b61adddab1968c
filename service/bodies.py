"""Request bodies read before they can be trusted: size-capped, hashed as they arrive, and kept in
memory only up to a small size.

A webhook's signature covers its whole body, so the body must be read before anything in it is
believed; GitHub sends up to 25 MiB. Held in memory, a few unsigned 24 MiB bodies that stall
would fill a receiver pod. Here a body's first `memory_bytes` stay in memory (while the bytes
held in memory by all requests of the process stay under `MEMORY_SHARES` times that) and the
rest goes to an unlinked temporary file; the bytes spooled by all requests together stay under
a budget, past which a request is refused (503, retry later) instead of spooled.
In: a Starlette request and the limits. Out: a `SpooledBody` whose HMAC is known before its bytes
are ever joined in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
from typing import IO

from starlette.requests import Request

_COPY_CHUNK = 1024 * 1024
# How many requests' worth of `memory_bytes` the process holds in memory at most (16 MiB at
# the default 256 KiB): many connections at once spill to disk rather than grow the process.
MEMORY_SHARES = 64


class BodyTooLarge(Exception):
    pass


class SpoolFull(Exception):
    """The spool budget of this process is spent by other requests in flight."""


class SpoolBudget:
    """Bytes spooled to disk by this process's requests in flight (one event loop: no lock)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used -= size


class SpooledBody:
    def __init__(self, memory_bytes: int, budget: SpoolBudget, memory: SpoolBudget) -> None:
        self._memory_bytes = memory_bytes
        self._budget = budget
        self._memory = memory
        self._head = bytearray()
        self._file: IO[bytes] | None = None
        self._spooled = 0
        self.size = 0

    def append(self, chunk: bytes) -> None:
        self.size += len(chunk)
        # In memory while this body is small and the process's memory share allows; once a
        # byte went to disk, the rest follows it (the order of the bytes is the head's, then
        # the file's).
        room = min(self._memory_bytes - len(self._head), len(chunk))
        if self._file is None and room > 0 and self._memory.take(room):
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        if not self._budget.take(len(chunk)):
            raise SpoolFull
        self._spooled += len(chunk)
        if self._file is None:
            # Closed in close(), which every caller reaches (read_spooled's contract).
            self._file = tempfile.TemporaryFile(prefix="iquest-body-")  # noqa: SIM115
        self._file.write(chunk)

    def hmac_hex(self, secret: bytes) -> str:
        """HMAC-SHA256 of the whole body, read back in chunks (the spooled part from disk)."""
        digest = hmac.new(secret, bytes(self._head), hashlib.sha256)
        if self._file is not None:
            self._file.seek(0)
            while chunk := self._file.read(_COPY_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def read(self) -> bytes:
        """The whole body, once it is trusted."""
        if self._file is None:
            return bytes(self._head)
        self._file.seek(0)
        return bytes(self._head) + self._file.read()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._budget.give(self._spooled)
        self._memory.give(len(self._head))
        self._spooled = 0
        self._head = bytearray()


async def read_spooled(request: Request, limit: int, memory_bytes: int,
                       budget: SpoolBudget, memory: SpoolBudget) -> SpooledBody:
    """The body, at most `limit` bytes; raises BodyTooLarge, SpoolFull or ClientDisconnect.

    The caller closes the result; on an exception nothing stays spooled.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = SpooledBody(memory_bytes, budget, memory)
    try:
        # Chunked or lying clients: stop reading as soon as the limit is passed.
        async for chunk in request.stream():
            if body.size + len(chunk) > limit:
                raise BodyTooLarge
            body.append(chunk)
    except BaseException:
        body.close()
        raise
    return body
