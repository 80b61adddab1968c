"""Liveness, readiness (Redis answers) and Prometheus metrics.

The metrics name installations, event counts and queue depths: not for the public. With a
metrics token they take `Authorization: Bearer <token>`; without one only loopback clients and
the configured networks (deploy/: the cluster's or compose's private ranges) may read them.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response

from service.metrics import ServiceMetrics
from workers.intake.enqueue import AsyncListReader, QueueStats, read_queue_stats


class RedisProbe(AsyncListReader, Protocol):
    async def ping(self) -> Any: ...


_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """`10.0.0.0/8, fd00::/8` → networks; raises ValueError naming a bad entry."""
    return [ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip()]


def metrics_allowed(request: Request, token: bytes | None, networks: Sequence[Network]) -> bool:
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token)
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False  # relayed by a proxy on this host: the real client is elsewhere
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return address.is_loopback or any(address in network for network in networks)


def build_health_router(redis: RedisProbe, metrics: ServiceMetrics, token: bytes | None = None,
                        networks: Sequence[Network] = ()) -> APIRouter:
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
    async def prometheus_metrics(request: Request) -> Response:
        if not metrics_allowed(request, token, networks):
            return Response(
                '{"error": "metrics need IQUEST_METRICS_TOKEN as a bearer token, or a client in '
                'loopback or IQUEST_METRICS_NETWORKS"}', status_code=403, media_type="application/json")
        stats: dict[str, QueueStats] | None
        try:
            stats = {queue: await read_queue_stats(redis, queue) for queue in metrics.queues}
        except Exception:  # Redis down: the edge's own metrics still answer, iquest_redis_up 0
            stats = None
        return Response(metrics.render(stats), media_type=metrics.content_type)

    return router
