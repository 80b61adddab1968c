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


class EnvironmentSource:
    """Callable as an `EnvironmentProvider`; `older` is the fallback a verifier asks for when
    the baseline's tests could not even be imported on the chosen interpreter."""

    def __init__(self, cache: EnvironmentCache, settings: EnvironmentSettings | None, index: IndexSettings | None):
        self.cache = cache
        self.settings = settings
        self.index = index

    def __call__(self, root: Path) -> BuiltEnvironment | BuildFailure | None:
        try:
            plan = derive_plan(root, self.settings, commit_date=tree_date(root), index=self.index)
            if not plan.declared and self.settings is None:
                return None
            return self.cache.ensure(plan, root)
        except (OSError, ValueError) as error:
            # A full disk or an unreadable file: the fix goes out unverified, saying why.
            return BuildFailure("", "prepare the environment", f"{type(error).__name__}: {error}", 0.0)

    def older(self, root: Path, than: BuiltEnvironment) -> BuiltEnvironment | None:
        """The environment on the newest older interpreter that fits, or None (none left, the
        repository pins its Python, or it is not a Python environment)."""
        if than.ecosystem != "python" or not than.python or (self.settings and self.settings.python):
            return None
        minor = ".".join(than.python.split(".")[:2])
        plan = derive_plan(root, self.settings, commit_date=tree_date(root), index=self.index, below=minor)
        if plan.interpreter is None:
            return None
        built = self.cache.ensure(plan, root)
        return built if isinstance(built, BuiltEnvironment) else None


def environment_for(
    cache: EnvironmentCache,
    settings: EnvironmentSettings | None = None,
    index: IndexSettings | None = None,
) -> EnvironmentSource:
    return EnvironmentSource(cache, settings, index)


def tree_date(root: Path) -> datetime | None:
    """The commit's date: from git when the tree is a checkout, else the date a GitHub tarball
    stamps on every file (most files sharing one mtime). None when neither tells."""
    if (root / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-c", "core.fsmonitor=false", "-c", "safe.directory=*", "-C", str(root),
                 "log", "-1", "--format=%cI"],
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
