"""The environment of a tree, as a verifier asks for it: plan, then cache, in one call.

`environment_for(cache, settings, index)` returns a function of a tree's root that gives the
built environment, the failure to report, or None when the repository declares nothing to
install (stdlib-only projects keep running on the worker's own pytest, no build at all).
"""

from __future__ import annotations

import collections
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from workers.environments.cache import EnvironmentCache
from workers.environments.mount import BuildFailure, BuiltEnvironment
from workers.environments.plan import EnvironmentSettings, IndexSettings, derive_plan

EnvironmentProvider = Callable[[Path], BuiltEnvironment | BuildFailure | None]


def environment_for(
    cache: EnvironmentCache,
    settings: EnvironmentSettings | None = None,
    index: IndexSettings | None = None,
) -> EnvironmentProvider:
    def provide(root: Path) -> BuiltEnvironment | BuildFailure | None:
        plan = derive_plan(root, settings, commit_date=tree_date(root), index=index)
        if not plan.declared and settings is None:
            return None
        return cache.ensure(plan, root)

    return provide


def tree_date(root: Path) -> datetime | None:
    """The commit's date: from git when the tree is a checkout, else the date a GitHub tarball
    stamps on every file (most files sharing one mtime). None when neither tells."""
    if (root / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-c", "core.fsmonitor=false", "-C", str(root), "log", "-1", "--format=%cI"],
                capture_output=True, text=True, timeout=10,
            )
            if out.returncode == 0 and out.stdout.strip():
                return datetime.fromisoformat(out.stdout.strip())
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    stamps: collections.Counter[int] = collections.Counter()
    for count, path in enumerate(root.rglob("*")):
        if count > 5000:
            break
        if path.is_file() and not path.is_symlink():
            stamps[int(path.stat().st_mtime)] += 1
    if not stamps:
        return None
    stamp, hits = stamps.most_common(1)[0]
    if hits * 10 < sum(stamps.values()) * 9:
        return None
    return datetime.fromtimestamp(stamp, UTC)
