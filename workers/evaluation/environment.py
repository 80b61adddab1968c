"""How a judged tree gets its interpreter and packages: a port, and the plain backend.

`Environments.prepare(spec, tree)` returns what the sandbox needs to run the instance's
commands with the environment: read-only mounts, environment variables, the commands that
finish the setup inside the sandbox (offline), or an error when it cannot be built (the
instance is then an environment failure, reported apart from unresolved ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from workers.evaluation.specs import EnvSpec
from workers.sandbox.bwrap import WORKDIR
from workers.sandbox.port import Mount
from workers.sandbox.tools import pytest_mounts


@dataclass(frozen=True)
class PreparedEnv:
    mounts: Sequence[Mount] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    setup: Sequence[str] = ()  # run in the sandbox before the tests; a failure is the env's
    build_seconds: float = 0.0
    error: str = ""  # non-empty: the environment could not be built
    note: str = ""  # which environment this is (interpreter, cache key), for the results


class Environments(Protocol):
    def prepare(self, spec: EnvSpec, tree: Path, commit_date: datetime | None = None) -> PreparedEnv:
        """`commit_date`: the base commit's date, so packages resolve as of then (when known)."""
        ...


class WorkerPythonEnvironments:
    """The worker's own Python and its pytest, nothing installed: enough for a repository
    whose tests need only the standard library and pytest (the tests' self-made instances,
    a pure-Python project). A spec that asks for packages or installs is refused with a
    clear error instead of judged in a wrong environment."""

    def prepare(self, spec: EnvSpec, tree: Path, commit_date: datetime | None = None) -> PreparedEnv:
        needs = [*spec.pip_packages, *spec.requirement_files, *spec.install, *spec.pre_install]
        if needs or spec.conda_packages:
            return PreparedEnv(
                error=(
                    "this instance needs packages installed (" + ", ".join(needs[:4])
                    + ("…" if len(needs) > 4 else "") + "); the worker's Python has none of them"
                )
            )
        mounts, env = pytest_mounts()
        # The tree on the path stands in for the project's own (editable) install.
        env = {**env, "PYTHONPATH": f"{env['PYTHONPATH']}:{WORKDIR}"}
        return PreparedEnv(mounts=mounts, env=env, note="the worker's Python, nothing installed")
