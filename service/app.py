"""create_app: the FastAPI receiver assembled from settings and a Redis URL; connects nothing at import."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from fastapi import FastAPI

from service.dispatch import Dispatcher
from service.health import build_health_router
from service.metrics import ServiceMetrics
from service.repair import RepairLimits, build_repair_router
from service.setup_page import MANIFEST_FILE, build_setup_router, load_manifest
from service.webhook import WEBHOOK_PATH, build_webhook_endpoint
from workers.config import Settings
from workers.enqueue import RedisEnqueuer
from workers.queues import queues_to_consume
from workers.repair_store import AsyncRepairStore
from workers.triggers import TriggerRules


def _github_web_url(api_url: str) -> str:
    # api.github.com → github.com; GitHub Enterprise Server serves the API under /api/v3.
    if api_url.rstrip("/") == "https://api.github.com":
        return "https://github.com"
    return api_url.removesuffix("/api/v3")


def create_app(settings: Settings, redis_url: str) -> FastAPI:
    secret = settings.require_webhook_secret()
    # The pool connects lazily on first use; a short timeout turns a dead Redis into a
    # prompt 503 instead of a hung delivery.
    redis = aioredis.Redis.from_url(
        redis_url, socket_connect_timeout=2, socket_timeout=2, retry_on_timeout=False
    )
    metrics = ServiceMetrics(queues_to_consume(settings.queue_name, has_app_credentials=True))
    enqueuer = RedisEnqueuer(redis, settings.queue_name, settings.delivery_ttl_seconds)
    dispatcher = Dispatcher(
        TriggerRules(label=settings.trigger_label, command_word=settings.command_word),
        enqueuer,
        metrics,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await redis.aclose()

    app = FastAPI(title="iquest-autofix", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_route(
        WEBHOOK_PATH,
        build_webhook_endpoint(secret, dispatcher, settings.max_webhook_bytes),
        methods=["POST"],
    )
    app.include_router(build_health_router(redis, metrics))
    app.include_router(
        build_repair_router(
            settings.repair_bearer(),
            enqueuer,
            AsyncRepairStore(redis, settings.repair_ttl_seconds),
            RepairLimits(
                settings.repair_max_bytes, settings.repair_max_files, settings.repair_max_file_bytes
            ),
        )
    )
    if MANIFEST_FILE.exists():
        app.include_router(
            build_setup_router(load_manifest(), _github_web_url(settings.github_api_url))
        )
    return app
