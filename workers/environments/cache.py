"""The environment cache: built in a temporary folder, published by rename, one build per key.

Layout under the cache root: `envs/<key>/` (venv/, overlay/, build.log, meta.json, last-used),
`building/` (builds in progress), `failures/<key>.json` (a recent failed build, answered again
without rebuilding for `failure_ttl` seconds), `uv-cache/` (uv's downloads), `locks/`.
The index is the folder itself: each entry's meta.json holds its size and the build log's tail,
and `last-used`'s mtime is its last use; eviction removes the least recently used past the cap.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workers.environments.build import BuildTools, default_uv, proxies_from_environment, run_build
from workers.environments.lease import FileLease, Lease
from workers.environments.mount import BuildFailure, BuiltEnvironment
from workers.environments.plan import EnvironmentPlan
from workers.sandbox.port import Sandbox

DEFAULT_CAP_BYTES = 4 << 30
POLL_SECONDS = 0.5
IN_USE_SECONDS = 3600  # never evict an environment used this recently (a run may hold it)


class EnvironmentMetrics(Protocol):
    def environment_built(self, outcome: str, seconds: float) -> None: ...  # "built" | "failed"
    def environment_reused(self) -> None: ...
    def environment_cache_bytes(self, size: int) -> None: ...


@dataclass(frozen=True)
class Entry:
    key: str
    size_bytes: int
    built_at: float
    last_used: float
    python: str
    seconds: float
    log_tail: str

    def as_json(self) -> dict:
        return self.__dict__.copy()


class EnvironmentCache:
    def __init__(
        self,
        root: Path,
        sandbox: Sandbox,
        *,
        lease: Lease | None = None,
        cap_bytes: int = DEFAULT_CAP_BYTES,
        tools: BuildTools | None = None,
        metrics: EnvironmentMetrics | None = None,
        failure_ttl: float = 600.0,
        wait_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.root = root
        self.sandbox = sandbox
        self.lease = lease or FileLease(root / "locks")
        self.cap_bytes = cap_bytes
        self.tools = tools or BuildTools(default_uv(), root / "uv-cache", proxies=proxies_from_environment())
        self.metrics = metrics
        self.failure_ttl = failure_ttl
        self.wait_seconds = wait_seconds if wait_seconds is not None else self.tools.limits.wall_seconds + 120
        self.clock = clock

    @property
    def envs(self) -> Path:
        return self.root / "envs"

    def ensure(self, plan: EnvironmentPlan, tree: Path, retry_failed: bool = False) -> BuiltEnvironment | BuildFailure:
        """The environment of plan: reused when published, else built once (others wait).
        A build that failed within `failure_ttl` fails again at once unless retry_failed."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            found = self.lookup(plan.key)
            if found is not None:
                if self.metrics:
                    self.metrics.environment_reused()
                return found
            failure = None if retry_failed else self._recent_failure(plan.key)
            if failure is not None:
                return failure
            token = self.lease.acquire(plan.key, self.wait_seconds)
            if token is not None:
                try:
                    if self.lookup(plan.key, touch=False) is None:
                        return self._build(plan, tree)
                finally:
                    self.lease.release(plan.key, token)
                continue
            if time.monotonic() > deadline:
                return BuildFailure(plan.key, "wait for another worker's build", "it did not finish in time", 0.0)
            time.sleep(POLL_SECONDS)

    def lookup(self, key: str, touch: bool = True) -> BuiltEnvironment | None:
        folder = self.envs / key
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if touch:
            (folder / "last-used").touch()
        prefix = meta.get("prefix")
        return BuiltEnvironment(
            key, folder, Path(prefix) if prefix else None, True, 0.0, meta["size_bytes"], meta.get("python", ""),
            meta.get("ecosystem", "python"), meta.get("package", ""),
        )

    def _build(self, plan: EnvironmentPlan, tree: Path) -> BuiltEnvironment | BuildFailure:
        building = self.root / "building"
        building.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=f"{plan.key[:16]}-", dir=building))
        started = time.monotonic()
        try:
            failure = run_build(plan, tree, self.sandbox, out, self.tools)
            seconds = time.monotonic() - started
            if failure is not None:
                self._remember_failure(failure)
                if self.metrics:
                    self.metrics.environment_built("failed", seconds)
                return failure
            size = _folder_bytes(out)
            log = (out / "build.log").read_text(errors="replace")
            meta = {
                "key": plan.key,
                "prefix": str(plan.interpreter.prefix) if plan.interpreter else None,
                "python": plan.interpreter.version if plan.interpreter else "",
                "size_bytes": size,
                "ecosystem": plan.ecosystem,
                "package": plan.package,
                "built_at": self.clock(),
                "seconds": seconds,
                "log_tail": "\n".join(log.splitlines()[-15:]),
                "plan": plan.render(),
            }
            (out / "meta.json").write_text(json.dumps(meta, indent=1))
            (out / "last-used").touch()
            self.envs.mkdir(parents=True, exist_ok=True)
            os.rename(out, self.envs / plan.key)  # atomic: a reader sees all of it or nothing
            if self.metrics:
                self.metrics.environment_built("built", seconds)
            self.evict(keep=plan.key)
            prefix = plan.interpreter.prefix if plan.interpreter else None
            python = plan.interpreter.version if plan.interpreter else ""
            return BuiltEnvironment(
                plan.key, self.envs / plan.key, prefix, False, seconds, size, python, plan.ecosystem, plan.package
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def _remember_failure(self, failure: BuildFailure) -> None:
        folder = self.root / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        data = {"command": failure.command, "log_tail": failure.log_tail, "seconds": failure.seconds, "at": self.clock()}
        (folder / f"{failure.key}.json").write_text(json.dumps(data))

    def _recent_failure(self, key: str) -> BuildFailure | None:
        try:
            data = json.loads((self.root / "failures" / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        if self.clock() - data["at"] > self.failure_ttl:
            return None
        return BuildFailure(key, data["command"], data["log_tail"], 0.0)

    def entries(self) -> list[Entry]:
        found = []
        for folder in sorted(self.envs.glob("*")) if self.envs.is_dir() else ():
            try:
                meta = json.loads((folder / "meta.json").read_text())
                used = (folder / "last-used").stat().st_mtime
            except (OSError, ValueError):
                continue
            found.append(Entry(folder.name, meta["size_bytes"], meta["built_at"], used,
                               meta.get("python", ""), meta.get("seconds", 0.0), meta.get("log_tail", "")))
        return found

    def evict(self, cap_bytes: int | None = None, keep: str | None = None, force: bool = False) -> list[Entry]:
        """Remove least recently used environments until the cache fits cap_bytes."""
        cap = self.cap_bytes if cap_bytes is None else cap_bytes
        entries = sorted(self.entries(), key=lambda e: e.last_used)
        total = sum(e.size_bytes for e in entries)
        removed = []
        for entry in entries:
            if total <= cap:
                break
            if entry.key == keep or (not force and self.clock() - entry.last_used < IN_USE_SECONDS and cap_bytes is None):
                continue
            trash = self.root / "building" / f"evicted-{entry.key}"
            with contextlib.suppress(OSError):
                os.rename(self.envs / entry.key, trash)
                shutil.rmtree(trash, ignore_errors=True)
                total -= entry.size_bytes
                removed.append(entry)
        if self.metrics:
            self.metrics.environment_cache_bytes(total)
        return removed


def _folder_bytes(root: Path) -> int:
    total = 0
    for directory, _names, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(directory, name)).st_size
    return total
