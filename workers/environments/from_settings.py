"""The environment cache and index a worker or the CLI gets from IQUEST_* settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from workers.config import Settings
from workers.environments.build import (
    BUILD_LIMITS,
    BuildTools,
    default_uv,
    proxies_from_environment,
)
from workers.environments.cache import EnvironmentCache, EnvironmentMetrics
from workers.environments.lease import Lease
from workers.environments.plan import IndexSettings
from workers.sandbox.port import Sandbox


def cache_root(settings: Settings) -> Path:
    return settings.env_cache_dir or settings.data_dir / "environments"


def index_from_settings(settings: Settings) -> IndexSettings:
    url = settings.env_index_url.get_secret_value() if settings.env_index_url else None
    folders = tuple(f for f in settings.env_find_links.split(":") if f)
    return IndexSettings(url, folders, settings.env_no_index)


def cache_from_settings(
    settings: Settings,
    sandbox: Sandbox,
    lease: Lease | None = None,
    metrics: EnvironmentMetrics | None = None,
) -> EnvironmentCache | None:
    """None when environments are switched off or uv is missing (tests then run as before)."""
    if not settings.environments or not sandbox.available:
        return None
    try:
        uv = default_uv()
    except FileNotFoundError:
        return None
    root = cache_root(settings)
    limits = replace(BUILD_LIMITS, wall_seconds=settings.env_build_timeout_seconds)
    tools = BuildTools(uv, root / "uv-cache", limits, proxies_from_environment(), settings.env_build_network)
    return EnvironmentCache(
        root, sandbox, lease=lease, cap_bytes=settings.env_cache_bytes, tools=tools, metrics=metrics
    )
