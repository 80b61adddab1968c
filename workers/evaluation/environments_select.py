"""Which environment backend `iquest eval` uses on this machine: environments built with uv
(workers/environments) under the data directory, or the worker's own Python when uv is missing."""

from __future__ import annotations

from workers.config import Settings
from workers.evaluation.environment import Environments, WorkerPythonEnvironments
from workers.sandbox.port import Sandbox


def environments_for(settings: Settings, sandbox: Sandbox) -> Environments:
    from workers.environments.build import BuildTools, default_uv, proxies_from_environment
    from workers.environments.cache import EnvironmentCache
    from workers.evaluation.built_env import UvEnvironments

    try:
        uv = default_uv()
    except FileNotFoundError:
        return WorkerPythonEnvironments()
    root = settings.data_dir / "environments"
    # A root worker's sandbox runs builds as a uid derived from the process id, and uv's cache
    # keeps the files it wrote owner-only: a cache per uid, so a second run can use its own
    # (see /work/wt/notes/eval-needs.md).
    uid = getattr(sandbox, "uid", None)
    cache_dir = root / (f"uv-cache-{uid}" if uid is not None else "uv-cache")
    tools = BuildTools(uv, cache_dir, proxies=proxies_from_environment())
    # A failed build is tried again on the next run (a rerun retries environment failures).
    return UvEnvironments(EnvironmentCache(root, sandbox, tools=tools, failure_ttl=0.0))
