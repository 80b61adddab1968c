"""What one model server accepts, learned from its answers and shared through Redis.

One `ServerCapabilities` per (base URL, model) per worker process: the chat adapter records a
refused field, `n` refused or ignored, the tokenizer dialect that worked, the context length.
With a Redis client every lesson is written to a hash (key per base URL + model), and read
back before each request, so a worker that started before another learned a lesson still
never sends a refused field again. Redis being down only costs the sharing: the local copy
keeps working.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import redis

log = logging.getLogger("iquest.model.capabilities")

# A server upgraded in place may accept later what it refused today; lessons expire after a week
# (each new lesson renews the whole hash).
TTL_SECONDS = 7 * 24 * 3600
_REFUSED = "refused:"


def capability_key(base_url: str, model: str) -> str:
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{model}".encode()).hexdigest()[:20]
    return f"iquest:model:capabilities:{digest}"


class ServerCapabilities:
    """Per-worker memory of one server's capabilities, optionally shared through Redis."""

    def __init__(
        self, base_url: str, model: str, client: redis.Redis | None = None
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.key = capability_key(base_url, model)
        self._redis = client
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}
        self.refresh()

    # -- reading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Merge what other workers learned (one HGETALL); a Redis failure keeps the local copy."""
        if self._redis is None:
            return
        try:
            stored = self._redis.hgetall(self.key)
        except redis.RedisError as error:
            log.debug("capability store unreachable: %s", error)
            return
        with self._lock:
            for name, value in stored.items():
                self._values[_text(name)] = _text(value)

    def refused(self) -> frozenset[str]:
        """Request fields this server refused: never sent again."""
        with self._lock:
            return frozenset(k[len(_REFUSED):] for k in self._values if k.startswith(_REFUSED))

    def flag(self, name: str) -> bool | None:
        """A yes/no capability (`n`, ...): None while unknown."""
        with self._lock:
            value = self._values.get(name)
        return None if value is None else value == "1"

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def context_tokens(self) -> int | None:
        value = self.get("context_tokens")
        return int(value) if value and value.isdigit() else None

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self._values)

    # -- learning --------------------------------------------------------------------------

    def refuse(self, field: str) -> None:
        self._set(_REFUSED + field, "1")

    def set_flag(self, name: str, value: bool) -> None:
        self._set(name, "1" if value else "0")

    def set(self, name: str, value: str | int) -> None:
        self._set(name, str(value))

    def forget(self) -> None:
        """Drop every lesson (the operator upgraded or replaced the server)."""
        with self._lock:
            self._values.clear()
        if self._redis is not None:
            try:
                self._redis.delete(self.key)
            except redis.RedisError as error:
                log.warning("could not clear the capability store: %s", error)

    def _set(self, name: str, value: str) -> None:
        with self._lock:
            if self._values.get(name) == value:
                return
            self._values[name] = value
        if self._redis is None:
            return
        try:
            pipe = self._redis.pipeline()
            pipe.hset(self.key, name, value)
            pipe.expire(self.key, TTL_SECONDS)
            pipe.execute()
        except redis.RedisError as error:
            log.warning("could not share a model server capability (%s): %s", name, error)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
