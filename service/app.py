"""create_app: the FastAPI receiver assembled from settings and a Redis URL; connects nothing at import."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from fastapi import FastAPI

from service.bodies import SpoolBudget
from service.connections import ClientGoneGuard
from service.dispatch import Dispatcher
from service.health import build_health_router, parse_networks
from service.manifest import load_manifest
from service.metrics import ServiceMetrics
from service.repair import RepairLimits, build_repair_router
from service.setup_page import SetupFlow, build_setup_router
from service.setup_states import SetupStates
from service.webhook import WEBHOOK_PATH, build_webhook_endpoint
from workers.app.credentials import CredentialsStore, LiveWebhookSecret
from workers.config import Settings
from workers.intake.enqueue import RedisEnqueuer
from workers.intake.queues import queues_to_consume
from workers.intake.repair_store import AsyncRepairStore
from workers.intake.triggers import TriggerRules


def create_app(
    settings: Settings, redis_url: str, credentials: CredentialsStore | None = None
) -> FastAPI:
    """`credentials`: where /setup saves a registered App (default `.env` and `github-app.pem`)."""
    store = credentials or CredentialsStore()
    secret = LiveWebhookSecret(settings.require_webhook_secret(), store)
    # Missing package data is a broken install: refuse to start rather than 404 on /setup.
    manifest = load_manifest()
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
    app.add_middleware(ClientGoneGuard)
    app.add_route(
        WEBHOOK_PATH,
        build_webhook_endpoint(secret, dispatcher, settings.max_webhook_bytes,
                               settings.webhook_memory_bytes,
                               SpoolBudget(settings.webhook_spool_bytes)),
        methods=["POST"],
    )
    app.include_router(build_health_router(
        redis, metrics,
        settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None,
        parse_networks(settings.metrics_networks)))
    app.include_router(
        build_repair_router(
            settings.repair_bearer(),
            enqueuer,
            AsyncRepairStore(redis, settings.repair_ttl_seconds),
            RepairLimits(
                settings.repair_max_bytes, settings.repair_max_files, settings.repair_max_file_bytes,
                settings.repair_jobs_per_day,
            ),
        )
    )
    # No token configured: a random one nobody was told, so /setup stays shut (`iquest serve`
    # always passes one, and prints it).
    setup_token = (settings.setup_token.get_secret_value() if settings.setup_token
                   else secrets.token_urlsafe(24))
    app.include_router(
        build_setup_router(
            SetupFlow(manifest, settings.github_api_url, settings.webhook_proxy_url,
                      settings.trigger_label, SetupStates(redis), store, secret,
                      public_url=settings.public_url.rstrip("/") if settings.public_url else None,
                      token=setup_token.encode())
        )
    )
    return app
