"""The install plan: what a repository's test environment holds, why, and the key it is cached by."""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from workers.environments.interpreters import Interpreter, choose_interpreter, find_interpreters
from workers.environments.sources import Declared, read_declared

# Bump when the way environments are built changes: every key changes with it.
BUILD_FORMAT = "1"
BUILD_TOOLS = ("setuptools", "wheel", "setuptools-scm", "hatchling", "hatch-vcs", "flit-core",
               "poetry-core", "pdm-backend", "cython", "versioneer", "extension-helpers")
NO_CUTOFF = "2100-01-01"


@dataclass(frozen=True)
class Step:
    """One line of the plan: arguments to `uv pip install` (or a shell command), and why."""

    args: tuple[str, ...]
    reason: str

    def text(self) -> str:
        return shlex.join(self.args)


@dataclass(frozen=True)
class IndexSettings:
    """Where packages come from. Given to builds only; tests never reach any index."""

    index_url: str | None = None  # a private index (IQUEST_ENV_INDEX_URL); PyPI when unset
    find_links: tuple[str, ...] = ()  # local folders of wheels (mounted read-only into the build)
    no_index: bool = False  # only find_links: a build that needs no network at all


@dataclass(frozen=True)
class EnvironmentSettings:
    """`.github/iquest.yml`'s `environment:`, as the planner takes it."""

    python: str | None = None  # "3.10": the interpreter, overriding what the project declares
    install: tuple[str, ...] = ()  # `uv pip install` argument lines, replacing the derived ones
    packages: tuple[str, ...] = ()  # extra packages on top (e.g. a pytest plugin)
    commands: tuple[str, ...] = ()  # shell commands after the install (build_ext --inplace, …)
    index_url: str | None = None
    exclude_newer: bool = True  # resolve as of the commit's date


@dataclass(frozen=True)
class EnvironmentPlan:
    ecosystem: str  # "python" ("node" later)
    interpreter: Interpreter | None
    interpreter_reason: str
    steps: tuple[Step, ...]  # joined into one `uv pip install` (resolved together)
    commands: tuple[Step, ...]  # shell commands run after it, the venv first on PATH
    inputs: tuple[tuple[str, str], ...]  # (dependency file, sha256 of its content)
    exclude_newer: str | None  # ISO date, or None
    index: IndexSettings = field(default_factory=IndexSettings)
    platform: str = ""
    declared: bool = False  # False: nothing but the test runner (stdlib-only projects)
    key: str = ""

    def install_args(self) -> list[str]:
        """`uv pip install` options and requirements, in plan order (paths relative to the tree)."""
        options: list[str] = []
        if self.exclude_newer:
            options += ["--exclude-newer", self.exclude_newer]
            # Build backends are exempt: an old setup.py still builds with today's setuptools
            # (uv picks the newest that supports the interpreter), not with one from its year.
            for tool in BUILD_TOOLS:
                options += ["--exclude-newer-package", f"{tool}={NO_CUTOFF}"]
        if self.index.no_index:
            options.append("--no-index")
        elif self.index.index_url:
            options += ["--index-url", self.index.index_url]
        for folder in self.index.find_links:
            options += ["--find-links", folder]
        return options + [arg for step in self.steps for arg in step.args]

    def install_command(self) -> str:
        """The install as a person would type it (shown when it fails)."""
        return "uv pip install " + shlex.join(arg for step in self.steps for arg in step.args)

    def render(self) -> str:
        lines = [f"environment {self.key[:16]} ({self.ecosystem})"]
        python = self.interpreter.version if self.interpreter else "none found"
        lines.append(f"python {python}  # {self.interpreter_reason}")
        if self.exclude_newer:
            lines.append(f"--exclude-newer {self.exclude_newer}  # packages as of the commit's date")
        lines += [f"uv pip install {step.text()}  # {step.reason}" for step in self.steps]
        lines += [f"{step.args[0]}  # {step.reason}" for step in self.commands]
        lines += [f"# key input: {path}" for path, _ in self.inputs]
        return "\n".join(lines)

    def as_json(self) -> dict:
        data = asdict(self)
        data["interpreter"] = self.interpreter.as_json() if self.interpreter else None
        return data


def derive_plan(
    root: Path,
    settings: EnvironmentSettings | None = None,
    *,
    interpreters: Sequence[Interpreter] | None = None,
    commit_date: datetime | None = None,
    index: IndexSettings | None = None,
) -> EnvironmentPlan:
    """The plan for the tree at root: `settings` when given, else what its files declare."""
    settings = settings or EnvironmentSettings()
    declared = read_declared(root)
    index = index or IndexSettings()
    steps = _steps(declared, settings, runner=not index.no_index)
    commands = tuple(Step((c,), "from .github/iquest.yml environment.commands") for c in settings.commands)
    found = list(interpreters) if interpreters is not None else find_interpreters()
    when = commit_date.date() if commit_date else None
    interpreter, why = choose_interpreter(found, declared, settings.python, when)
    if settings.index_url and not index.no_index:
        index = IndexSettings(settings.index_url, index.find_links, False)
    newer = when.isoformat() if when and settings.exclude_newer else None
    plan = EnvironmentPlan(
        ecosystem="python",
        interpreter=interpreter,
        interpreter_reason=why,
        steps=steps,
        commands=commands,
        inputs=tuple(sorted(declared.inputs.items())),
        exclude_newer=newer,
        index=index,
        platform=f"{platform.system()}-{platform.machine()}-{'-'.join(platform.libc_ver())}",
        declared=bool(settings.install or settings.packages or settings.commands or declared.steps),
    )
    return _with_key(plan)


def _steps(declared: Declared, settings: EnvironmentSettings, runner: bool) -> tuple[Step, ...]:
    if settings.install:
        steps = [Step(tuple(shlex.split(line)), "from .github/iquest.yml environment.install") for line in settings.install]
    else:
        steps = [Step(args, reason) for args, reason in declared.steps]
    steps += [Step((p,), "from .github/iquest.yml environment.packages") for p in settings.packages]
    # Without an index (an offline deployment) the worker's own pytest stays the fallback runner.
    named = (not settings.install and "pytest" in declared.names) or any(
        re.split(r"[\[=<>~! ]", a, maxsplit=1)[0] == "pytest" for s in steps for a in s.args
    )
    if runner and not named:
        steps.append(Step(("pytest",), "the test runner (the project does not name it)"))
    return tuple(steps)


def _with_key(plan: EnvironmentPlan) -> EnvironmentPlan:
    """The key: a hash of the plan, the dependency files' contents, the interpreter, the platform."""
    material = {
        "format": BUILD_FORMAT,
        "ecosystem": plan.ecosystem,
        "python": plan.interpreter.identity() if plan.interpreter else None,
        "install": plan.install_args(),
        "commands": [s.args for s in plan.commands],
        "inputs": plan.inputs,
        "platform": plan.platform,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return EnvironmentPlan(**{**plan.__dict__, "key": digest})
