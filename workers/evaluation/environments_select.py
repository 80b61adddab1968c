"""Which environment backend `iquest eval` uses on this machine: environments built with uv
(workers/environments) under the data directory, or the worker's own Python when uv is missing."""

from __future__ import annotations

from workers.config import Settings
from workers.evaluation.environment import Environments, WorkerPythonEnvironments
from workers.sandbox.port import Sandbox


def environments_for(settings: Settings, sandbox: Sandbox) -> Environments:
    from workers.environments.build import default_uv
    from workers.environments.cache import EnvironmentCache
    from workers.evaluation.built_env import UvEnvironments

    try:
        default_uv()
    except FileNotFoundError:
        return WorkerPythonEnvironments()
    return UvEnvironments(EnvironmentCache(settings.data_dir / "environments", sandbox))
