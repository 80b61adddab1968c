"""A built environment as a run uses it: mounted read-only, its interpreter first on PATH."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workers.sandbox.port import Command, Mount
from workers.sandbox.tools import pytest_mounts

WORKDIR = "/repo"  # where the sandbox shows the tree (workers/sandbox/bwrap.py)
ENV_DIR = "/opt/iquest/env"  # where a build writes and every run sees the environment
VENV = f"{ENV_DIR}/venv"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class BuiltEnvironment:
    key: str
    path: Path  # the published folder on the host: venv/, overlay/, meta.json
    interpreter_prefix: Path | None
    reused: bool  # True: a cache hit (built earlier, by this worker or another)
    seconds: float  # build seconds when built now; 0 when reused
    size_bytes: int
    python: str = ""  # the interpreter's version, "3.11.7" (node's for a node environment)
    ecosystem: str = "python"
    package: str = ""  # node: the folder of the tree whose node_modules this is

    def mounts(self) -> tuple[Mount, ...]:
        if self.ecosystem == "node":
            where = f"{WORKDIR}/{self.package}/node_modules" if self.package else f"{WORKDIR}/node_modules"
            return (Mount(self.path / "node_modules", where),)
        mounts = [Mount(self.path / "venv", VENV)]
        if self.interpreter_prefix is not None and not self.interpreter_prefix.is_relative_to("/usr"):
            mounts.append(Mount(self.interpreter_prefix, str(self.interpreter_prefix)))
        # The worker's pytest at /opt/iquest/pytest: a .pth puts it last on sys.path.
        return (*mounts, *pytest_mounts()[0])

    def env(self) -> dict[str, str]:
        if self.ecosystem == "node":
            modules = f"{WORKDIR}/{self.package}/node_modules" if self.package else f"{WORKDIR}/node_modules"
            # Offline: npm answers from nothing but what is installed.
            return {"PATH": f"{modules}/.bin:{SYSTEM_PATH}", "npm_config_offline": "true",
                    "npm_config_update_notifier": "false", "npm_config_cache": "/tmp/.npm"}
        return {
            "PATH": f"{VENV}/bin:{SYSTEM_PATH}",
            "VIRTUAL_ENV": VENV,
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def command(self, script: str, env: Mapping[str, str] | None = None) -> Command:
        """A sandbox command that runs script with this environment (no network)."""
        return Command(script, {**self.env(), **(env or {})}, self.mounts())

    def overlay(self) -> dict[str, bytes]:
        """Files the build wrote into the tree (generated modules, compiled extensions), laid
        over each tree this environment tests, so a candidate tree never needs a rebuild."""
        root = self.path / "overlay"
        files: dict[str, bytes] = {}
        for directory, _names, names in os.walk(root):
            for name in names:
                full = Path(directory) / name
                if not full.is_symlink():
                    files[full.relative_to(root).as_posix()] = full.read_bytes()
        return files


@dataclass(frozen=True)
class BuildFailure:
    key: str
    command: str  # the command that failed, as a person would type it
    log_tail: str  # its last lines
    seconds: float

    def reason(self) -> str:
        """One plain sentence for the PR, the review and the check run."""
        tail = self.log_tail.strip() or "(no output)"
        return f"the test environment could not be built: `{self.command}` failed: {tail}"
