"""Liveness, readiness (Redis answers) and Prometheus metrics."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Response

from service.metrics import ServiceMetrics
from workers.intake.enqueue import AsyncListReader, QueueStats, read_queue_stats


class RedisProbe(AsyncListReader, Protocol):
    async def ping(self) -> Any: ...


def build_health_router(redis: RedisProbe, metrics: ServiceMetrics) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Response:
        try:
            await redis.ping()
        except Exception as error:
            return Response(
                f'{{"status": "unavailable", "redis": "{type(error).__name__}"}}',
                status_code=503,
                media_type="application/json",
            )
        return Response('{"status": "ready"}', media_type="application/json")

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        stats: dict[str, QueueStats] | None
        try:
            stats = {queue: await read_queue_stats(redis, queue) for queue in metrics.queues}
        except Exception:  # Redis down: the edge's own metrics still answer, iquest_redis_up 0
            stats = None
        return Response(metrics.render(stats), media_type=metrics.content_type)

    return router
