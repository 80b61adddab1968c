"""Which environment backend `iquest eval` uses on this machine: environments built with uv
(workers/environments, the worker's own IQUEST_ENV_* settings and cache), or the worker's own
Python when environments are off or uv is missing."""

from __future__ import annotations

from workers.config import Settings
from workers.environments.cache import EnvironmentCache
from workers.environments.from_settings import cache_from_settings
from workers.evaluation.built_env import UvEnvironments
from workers.evaluation.environment import Environments, WorkerPythonEnvironments
from workers.sandbox.port import Sandbox


def environment_cache(settings: Settings, sandbox: Sandbox) -> EnvironmentCache | None:
    cache = cache_from_settings(settings, sandbox)
    if cache is not None:
        # A failed build is tried again on the next run (a rerun retries environment failures).
        cache.failure_ttl = 0.0
    return cache


def environments_for(settings: Settings, sandbox: Sandbox) -> Environments:
    cache = environment_cache(settings, sandbox)
    return WorkerPythonEnvironments() if cache is None else UvEnvironments(cache)
