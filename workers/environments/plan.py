"""The install plan: what a repository's test environment holds, why, and the key it is cached by."""

from __future__ import annotations

import hashlib
import json
import platform
import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from packaging.version import Version

from workers.environments.interpreters import Interpreter, choose_interpreter, find_interpreters
from workers.environments.node import NPM_CI, find_node, read_lockfile
from workers.environments.sources import Declared, read_declared

# Bump when the way environments are built changes: every key changes with it.
BUILD_FORMAT = "1"
BUILD_TOOLS = ("setuptools", "wheel", "setuptools-scm", "hatchling", "hatch-vcs", "flit-core",
               "poetry-core", "pdm-backend", "cython", "versioneer", "extension-helpers")
NO_CUTOFF = "2100-01-01"
# Build backends resolve as of the commit, but no earlier than editable installs (PEP 660,
# setuptools 64) existed: a 2014 setup.py builds with a 2022 setuptools, and the build's other
# requirements (packaging, …) stay of the commit's time, consistent with it.
EDITABLE_SETUPTOOLS = "2022-09-01"
# The runner we add is ours, not the project's: the newest pytest that runs on the interpreter
# (a 2014 pytest does not run on any Python this machine has), with its own dependencies.
RUNNER_PACKAGES = ("pytest", "pluggy", "iniconfig", "exceptiongroup", "tomli", "py", "colorama",
                   "attrs", "more-itertools", "atomicwrites", "importlib-metadata", "zipp")


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
    # SETUPTOOLS_SCM_PRETEND_VERSION for a project versioned by git tags (the tree has no .git).
    scm_version: str = ""
    scm_version_reason: str = ""
    package: str = ""  # the package's folder in a monorepo ("" = the tree's root)
    key: str = ""

    def install_args(self, index_url: bool = True) -> list[str]:
        """`uv pip install` options and requirements, in plan order (paths relative to the tree).
        index_url False leaves the index out (a build passes it in the environment instead, so
        a private index's credentials never show in a process list)."""
        options: list[str] = []
        if self.exclude_newer:
            options += ["--exclude-newer", self.exclude_newer]
            tools_date = max(self.exclude_newer, EDITABLE_SETUPTOOLS)
            for tool in BUILD_TOOLS:
                options += ["--exclude-newer-package", f"{tool}={tools_date}"]
            for package in RUNNER_PACKAGES if RUNNER in self.steps else ():
                options += ["--exclude-newer-package", f"{package}={NO_CUTOFF}"]
        if self.index.no_index:
            options.append("--no-index")
        elif self.index.index_url and index_url:
            options += ["--index-url", self.index.index_url]
        for folder in self.index.find_links:
            options += ["--find-links", folder]
        return options + [arg for step in self.steps for arg in step.args]

    def install_command(self) -> str:
        """The install as a person would type it (shown when it fails)."""
        if self.ecosystem == "node":
            return "npm ci"
        return "uv pip install " + shlex.join(arg for step in self.steps for arg in step.args)

    def render(self) -> str:
        lines = [f"environment {self.key[:16]} ({self.ecosystem})"]
        version = self.interpreter.version if self.interpreter else "none found"
        lines.append(f"{'node' if self.ecosystem == 'node' else 'python'} {version}  # {self.interpreter_reason}")
        if self.exclude_newer:
            lines.append(f"--exclude-newer {self.exclude_newer}  # packages as of the commit's date")
        if self.scm_version:
            lines.append(f"SETUPTOOLS_SCM_PRETEND_VERSION={self.scm_version}  # no git metadata in the tree: "
                         f"{self.scm_version_reason}")
        tool = "" if self.ecosystem == "node" else "uv pip install "
        lines += [f"{tool}{step.text()}  # {step.reason}" for step in self.steps]
        lines += [f"{step.args[0]}  # {step.reason}" for step in self.commands]
        lines += [f"# key input: {path}" for path, _ in self.inputs]
        return "\n".join(lines)

    def as_json(self) -> dict:
        data = asdict(self)
        data["interpreter"] = self.interpreter.as_json() if self.interpreter else None
        if self.index.index_url:
            data["index"]["index_url"] = _without_credentials(self.index.index_url)
        return data


RUNNER = Step(("pytest",), "the test runner (the project does not name it)")


def derive_plan(
    root: Path,
    settings: EnvironmentSettings | None = None,
    *,
    interpreters: Sequence[Interpreter] | None = None,
    commit_date: datetime | None = None,
    index: IndexSettings | None = None,
    package: str = "",
    below: str | None = None,
) -> EnvironmentPlan:
    """The plan for the tree at root: `settings` when given, else what its files declare.

    `package` is a folder of the tree holding one package of a monorepo: its files are read,
    and the plan's paths stay relative to the tree's root (the build runs there). `below`
    ("3.11") keeps only older interpreters: the fallback when the tests could not import."""
    settings = settings or EnvironmentSettings()
    package = posixpath.normpath(package).strip("/") if package else ""
    if package.startswith(".."):
        raise ValueError(f"package folder outside the tree: {package}")
    declared = read_declared(root / package) if package else read_declared(root)
    if package:
        _under(declared, package)
    index = index or IndexSettings()
    lockfile = read_lockfile(root / package if package else root)
    if lockfile is not None and not (declared.steps or settings.install or settings.packages):
        return _node_plan(lockfile, settings, package, index)
    steps = _steps(declared, settings, runner=not index.no_index)
    into = f"cd {shlex.quote(package)} && " if package else ""
    commands = tuple(Step((into + c,), "from .github/iquest.yml environment.commands") for c in settings.commands)
    found = list(interpreters) if interpreters is not None else find_interpreters()
    if below is not None:
        found = [i for i in found if Version(i.minor) < Version(below)]
    when = commit_date.date() if commit_date else None
    interpreter, why = choose_interpreter(found, declared, settings.python, when)
    if below is not None:
        why = f"{why}; the tests could not import on Python {below}, so an older one"
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
        scm_version=declared.scm_version,
        scm_version_reason=declared.scm_version_from,
        package=package,
    )
    return _with_key(plan)


def _node_plan(lockfile, settings: EnvironmentSettings, package: str, index: IndexSettings) -> EnvironmentPlan:
    inputs, reason = lockfile
    node = find_node()
    into = f"cd {shlex.quote(package)} && " if package else ""
    commands = tuple(Step((into + c,), "from .github/iquest.yml environment.commands") for c in settings.commands)
    plan = EnvironmentPlan(
        ecosystem="node",
        interpreter=node,
        interpreter_reason="the node on this machine" if node else "node is not installed on this machine",
        steps=(Step(NPM_CI, reason),),
        commands=commands,
        inputs=tuple(sorted((posixpath.join(package, k) if package else k, v) for k, v in inputs.items())),
        exclude_newer=None,
        index=IndexSettings(),  # npm's registry; the Python index settings do not apply
        platform=f"{platform.system()}-{platform.machine()}-{'-'.join(platform.libc_ver())}",
        declared=True,
        package=package,
    )
    return _with_key(plan)


def _under(declared: Declared, package: str) -> None:
    """Rewrite the paths of a package's declarations relative to the tree's root."""
    def moved(path: str) -> str:
        base, bracket, extras = path.partition("[")
        return "./" + posixpath.normpath(posixpath.join(package, base)) + bracket + extras

    steps = []
    for args, reason in declared.steps:
        out: list[str] = []
        for previous, arg in zip(["", *args], args, strict=False):
            out.append(moved(arg) if previous in ("-e", "-r", "-c") or arg.startswith(".") else arg)
        steps.append((tuple(out), reason.replace("from ", f"from {package}/", 1)))
    declared.steps = steps
    declared.inputs = {posixpath.join(package, k): v for k, v in declared.inputs.items()}


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
        steps.append(RUNNER)
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
        "scm_version": plan.scm_version,
        "package": plan.package,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return EnvironmentPlan(**{**plan.__dict__, "key": digest})


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"***@{host}" + (f":{parts.port}" if parts.port else "")))
