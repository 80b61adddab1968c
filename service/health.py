"""Liveness, readiness (Redis answers) and Prometheus metrics."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Response

from service.metrics import ServiceMetrics


class Pingable(Protocol):
    async def ping(self) -> Any: ...


def build_health_router(redis: Pingable, metrics: ServiceMetrics) -> APIRouter:
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
        return Response(metrics.render(), media_type=metrics.content_type)

    return router
