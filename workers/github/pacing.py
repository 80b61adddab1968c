"""Pacing of content-creating writes per installation, shared by every worker through Redis.

GitHub's secondary rate limits punish bursts of comments, reviews and pull requests
(about 80 a minute); spacing them per installation keeps a busy installation under that
line without making one job wait for another installation's traffic.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

# Reserve the next slot atomically: returns how many ms the caller must wait for its slot.
_RESERVE_LUA = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local next_ms = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now_ms, next_ms)
redis.call('SET', KEYS[1], start + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return start - now_ms
"""


class ScriptRunner(Protocol):
    def register_script(self, script: str) -> Any: ...


class WritePacer:
    def __init__(self, redis: ScriptRunner, installation_id: int, interval_seconds: float) -> None:
        self._reserve = redis.register_script(_RESERVE_LUA)
        self._key = f"iquest:pace:{installation_id}"
        self._interval_ms = int(interval_seconds * 1000)

    def wait_for_slot(self) -> float:
        """Sleep until this installation may create content again; returns the seconds waited."""
        if self._interval_ms <= 0:
            return 0.0
        wait_ms = int(self._reserve(keys=[self._key], args=[self._interval_ms]))
        if wait_ms > 0:
            time.sleep(wait_ms / 1000)
        return wait_ms / 1000
