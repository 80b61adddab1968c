"""One-time `state` values of the manifest flow, kept in Redis for an hour (GitHub's code lifetime)."""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis

PREFIX = "iquest:setup-state:"
TTL_SECONDS = 3600


class SetupStates:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def issue(self) -> str:
        state = secrets.token_urlsafe(24)
        await self.redis.set(PREFIX + state, "1", ex=TTL_SECONDS)
        return state

    async def consume(self, state: str | None) -> bool:
        """True once for a state this receiver issued; never again (GETDEL is atomic)."""
        if not state or len(state) > 128:
            return False
        return await self.redis.getdel(PREFIX + state) is not None
