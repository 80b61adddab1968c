"""Environments built by `workers/environments` (uv in the sandbox, cached by plan key) for
judged trees: an instance's spec becomes the plan's `environment` settings; an instance
without one gets the plan derived from the repository's own files."""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import cache
from pathlib import Path

from workers.environments.cache import EnvironmentCache
from workers.environments.interpreters import Interpreter, find_interpreters
from workers.environments.mount import BuildFailure
from workers.environments.plan import EnvironmentSettings, derive_plan
from workers.evaluation.environment import PreparedEnv, WorkerPythonEnvironments
from workers.evaluation.specs import EnvSpec
from workers.sandbox.bwrap import WORKDIR

_PIP_INSTALL = re.compile(r"^\s*(?:python\d?(?:\.\d+)? -m )?pip3? install\s+(.*)$")
# pip's own flags that uv does not take (or that only change pip's output).
_PIP_ONLY = {"-v", "-vv", "--verbose", "--no-use-pep517", "-q", "--quiet", "--user"}
# SWE-bench's `packages` words that name a file rather than packages.
_NOT_PACKAGES = {"requirements.txt", "environment.yml"}


@cache
def interpreters() -> tuple[Interpreter, ...]:
    return find_interpreters()


def split_install(commands: Sequence[str]) -> tuple[list[str], list[str]]:
    """(uv pip install argument lines, other shell commands) of a spec's install commands."""
    lines, other = [], []
    for command in commands:
        match = _PIP_INSTALL.match(command)
        if match is None:
            other.append(command)
            continue
        args = _editable([a for a in shlex.split(match.group(1)) if a not in _PIP_ONLY])
        if args:
            lines.append(shlex.join(args))
    return lines, other


_NO_EDITABLE = "has no attribute 'build_editable'"


def _not_editable(line: str) -> str:
    args = shlex.split(line)
    return shlex.join(a for a in args if a not in ("-e", "--editable"))


def _editable(args: list[str]) -> list[str]:
    """The project itself installed editable: SWE-bench installs it again after the patch, and
    a read-only environment cannot be reinstalled, so it must read the tree the tests run in."""
    out: list[str] = []
    for index, arg in enumerate(args):
        local = arg == "." or arg.startswith((".[", "./"))
        if local and (index == 0 or args[index - 1] not in ("-e", "--editable")):
            out.append("-e")
        out.append(arg)
    return out


def settings_for(spec: EnvSpec, tree: Path, have: Sequence[str]) -> tuple[EnvironmentSettings | None, str]:
    """The plan's settings for a spec (None: derive from the repository), and a note when the
    spec's Python is not on this machine (the nearest plan then chooses one)."""
    if spec.source == "default":
        return None, ""
    if spec.requirements:
        lines = [f"-r {_content_file(tree, 'reqs', spec.requirements)}"]
    else:
        lines = [f"-r {shlex.quote(f)}" for f in spec.requirement_files if (tree / f).is_file()]
    lines += [shlex.quote(p) for p in spec.conda_packages.split() if p not in _NOT_PACKAGES]
    for name in spec.conda_env_files:
        if (tree / name).is_file():
            lines += [shlex.quote(p) for p in conda_dependencies((tree / name).read_text())]
            break
    install, commands = split_install(spec.install)
    lines += install
    if spec.pip_packages:
        # SWE-bench installs its pinned packages after the requirements, so they win; one uv
        # resolution expresses that as overrides (a file named by its content: the plan's
        # key then changes with the pins).
        name = _content_file(tree, "pins", "".join(f"{p}\n" for p in spec.pip_packages))
        lines += [shlex.quote(p) for p in spec.pip_packages]
        lines.append(f"--override {name}")
    if not lines:
        lines = ["pytest"]
    python = spec.python or None
    note = ""
    if python and python not in have:
        note = f"Python {python} is not on this machine ({', '.join(have)}); "
        python = None
    # SWE-bench's images resolve unpinned packages to the newest, and its pins postdate many
    # commits: no cut-off at the commit's date for its specs (as its harness builds them).
    settings = EnvironmentSettings(
        python=python, install=tuple(lines), commands=tuple(commands),
        exclude_newer=not spec.source.startswith("swebench"),
    )
    return settings, note


def _content_file(tree: Path, kind: str, text: str) -> str:
    """Write text into the tree under a name made of its hash (the plan's key then follows
    the content); the name, relative to the tree."""
    name = f".iquest-eval-{kind}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.txt"
    (tree / name).write_text(text)
    return name


class UvEnvironments:
    """Builds (or reuses) the environment in `cache`; projects that declare nothing and have
    no spec run with the worker's own Python and pytest (no build at all)."""

    def __init__(self, cache: EnvironmentCache):
        self.cache = cache
        self.plain = WorkerPythonEnvironments()

    def prepare(self, spec: EnvSpec, tree: Path, commit_date: datetime | None = None) -> PreparedEnv:
        found = interpreters()
        settings, note = settings_for(spec, tree, sorted({i.minor for i in found}))
        plan = derive_plan(tree, settings, interpreters=found, commit_date=commit_date)
        if settings is None and not plan.declared:
            return self.plain.prepare(spec, tree)
        if plan.interpreter is None:
            return PreparedEnv(error=f"{note}no Python for this instance: {plan.interpreter_reason}")
        built = self.cache.ensure(plan, tree)
        extra_env: dict[str, str] = {}
        if isinstance(built, BuildFailure) and settings is not None and _NO_EDITABLE in built.log_tail:
            # The project pins a setuptools older than editable wheels (PEP 660), which pip
            # served with `setup.py develop`: install it plainly and put the tree first on the
            # path, so the tests still import the patched sources.
            plain = replace(settings, install=tuple(_not_editable(line) for line in settings.install))
            plan = derive_plan(tree, plain, interpreters=found, commit_date=commit_date)
            built = self.cache.ensure(plan, tree)
            extra_env = {"PYTHONPATH": WORKDIR}
            note += "installed without -e (its setuptools has no editable builds); "
        if isinstance(built, BuildFailure):
            return PreparedEnv(error=note + built.reason(), build_seconds=built.seconds)
        for path, data in built.overlay().items():
            target = tree / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return PreparedEnv(
            mounts=built.mounts(),
            env={**built.env(), **extra_env},
            setup=tuple(spec.pre_install),
            build_seconds=built.seconds,
            note=f"{note}python {plan.interpreter.version}, env {plan.key[:12]}"
            + (" (reused)" if built.reused else " (built)"),
        )


_CONDA_SKIP = {"python", "pip"}


def conda_dependencies(text: str) -> list[str]:
    """The packages of a conda environment file as pip requirements: its `dependencies` list
    (conda's `name=1.2` pins become `name==1.2`) and its `pip:` section. Conda-only packages
    whose names differ on PyPI will fail the build, which is then reported as such."""
    found: list[str] = []
    section = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith((" ", "-")):
            section = line.strip().rstrip(":")
            continue
        if section != "dependencies":
            continue
        item = line.strip().lstrip("-").strip()
        if not item or item.endswith(":"):
            continue
        name = re.split(r"[=<>!~ ]", item, maxsplit=1)[0].split("::")[-1]
        if name.lower() in _CONDA_SKIP:
            continue
        if re.match(r"^[A-Za-z0-9_.\-]+=[^=]", item.split("::")[-1]):
            item = item.split("::")[-1].replace("=", "==", 1)
        found.append(item.split("::")[-1])
    return found
