"""ASGI factory for multi-process uvicorn: each process builds its app from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from service.app import create_app
from workers.config import Settings


def build() -> FastAPI:
    settings = Settings()
    if not settings.redis_url:
        raise RuntimeError("service.asgi needs IQUEST_REDIS_URL (iquest serve sets it)")
    return create_app(settings, settings.redis_url)
