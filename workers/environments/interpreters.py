"""The Pythons this machine has, and the one a project's declarations ask for.

Looked for: pyenv's versions (PYENV_ROOT or ~/.pyenv), uv-managed ones, `python3.X` on PATH
and in /usr/bin and /usr/local/bin, and IQUEST_ENV_PYTHONS (colon-separated executables).
uv is never asked to download one: builds must use what the image ships.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

if TYPE_CHECKING:
    from workers.environments.sources import Declared

PROBE = "import sys, platform; print(sys.base_prefix); print(platform.python_version()); print(sys.implementation.name)"
MINORS = range(6, 16)
# First release of each Python: a commit is tested with an interpreter of its time, released at
# least ERA_DAYS before it (so its dependencies had wheels for it), unless it names one.
RELEASED = {
    "3.6": date(2016, 12, 23), "3.7": date(2018, 6, 27), "3.8": date(2019, 10, 14),
    "3.9": date(2020, 10, 5), "3.10": date(2021, 10, 4), "3.11": date(2022, 10, 24),
    "3.12": date(2023, 10, 2), "3.13": date(2024, 10, 7), "3.14": date(2025, 10, 7),
}
ERA_DAYS = 180
# Older ones get no editable installs (their newest setuptools predates PEP 660).
OLDEST_USABLE = "3.7"


@dataclass(frozen=True)
class Interpreter:
    version: str  # "3.10.13"
    executable: Path  # host path; the sandbox sees it at the same path
    prefix: Path  # sys.base_prefix: mounted read-only at the same path
    implementation: str = "cpython"

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def identity(self) -> str:
        return f"{self.implementation}-{self.version}-{self.prefix}"

    def as_json(self) -> dict:
        return {"version": self.version, "executable": str(self.executable), "prefix": str(self.prefix)}


def candidate_paths() -> list[Path]:
    paths: list[Path] = []
    for extra in filter(None, os.environ.get("IQUEST_ENV_PYTHONS", "").split(":")):
        paths.append(Path(extra))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    uv_managed = Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or Path.home() / ".local/share/uv/python")
    for folder in (pyenv, uv_managed):
        if folder.is_dir():
            paths += sorted(folder.glob("*/bin/python3"))
    for minor in MINORS:
        for folder in ("/usr/local/bin", "/usr/bin"):
            paths.append(Path(folder) / f"python3.{minor}")
        found = shutil.which(f"python3.{minor}")
        if found and "/shims/" not in found:
            paths.append(Path(found))
    paths.append(Path(sys.executable))
    return paths


@functools.cache
def find_interpreters() -> tuple[Interpreter, ...]:
    """Every distinct CPython 3 found, newest first (probed once per process)."""
    seen: dict[Path, Interpreter] = {}
    paths = dict.fromkeys(p.resolve() for p in candidate_paths() if p.is_file() and os.access(p, os.X_OK))
    # Probed side by side: each is a process start, and a busy machine makes them slow.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for interpreter in pool.map(probe, paths):
            if interpreter is not None and interpreter.prefix not in seen:
                seen[interpreter.prefix] = interpreter
    return tuple(sorted(seen.values(), key=lambda i: Version(i.version), reverse=True))


def probe(path: Path) -> Interpreter | None:
    try:
        out = subprocess.run(
            [str(path), "-I", "-c", PROBE], capture_output=True, text=True, timeout=10, env={}
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 3 or not lines[1].startswith("3."):
        return None
    prefix = Path(lines[0])
    minor = ".".join(lines[1].split(".")[:2])
    executable = prefix / "bin" / f"python{minor}"
    return Interpreter(lines[1], executable if executable.exists() else path, prefix, lines[2])


def choose_interpreter(
    found: Sequence[Interpreter], declared: Declared, wanted: str | None = None, when: date | None = None
) -> tuple[Interpreter | None, str]:
    """The interpreter and why: settings first, then requires-python narrowed by the versions the
    project names (classifiers, tox, CI), newest of those; else the newest that fits and was
    out a while before the commit (`when`)."""
    if not found:
        return None, "no Python interpreter found on this machine"
    by_minor: dict[str, Interpreter] = {}
    for interpreter in found:
        by_minor.setdefault(interpreter.minor, interpreter)
    if wanted:
        if wanted in by_minor:
            return by_minor[wanted], "from .github/iquest.yml environment.python"
        return None, f".github/iquest.yml asks for Python {wanted}; this machine has {_have(by_minor)}"
    fits = [m for m in by_minor if Version(m) >= Version(OLDEST_USABLE)]
    spec_note = ""
    if declared.requires_python:
        try:
            spec = SpecifierSet(declared.requires_python)
            fits = [m for m in fits if spec.contains(Version(by_minor[m].version), prereleases=True)]
            spec_note = f"{declared.requires_from} {declared.requires_python}"
        except InvalidSpecifier:
            spec_note = f"{declared.requires_from} unreadable ({declared.requires_python})"
    if not fits:
        return None, f"{spec_note} allows none of the Pythons here ({_have(by_minor)})"
    era_note = ""
    if when is not None:
        era = [m for m in fits if RELEASED.get(m, date.max) <= when - timedelta(days=ERA_DAYS)]
        usable = fits
        if era:
            fits, era_note = era, f"released before the commit ({when.isoformat()})"
        elif usable and not (set(fits) & set(declared.versions)):
            # Older than every Python here: the oldest one is the closest to its time.
            oldest = min(usable, key=Version)
            why = f"the commit ({when.isoformat()}) predates every Python here from {OLDEST_USABLE} on: the oldest"
            return by_minor[oldest], "; ".join(filter(None, (why, spec_note)))
    named = [m for m in fits if m in declared.versions]
    if named:
        best = max(named, key=Version)
        note = f"newest version named in {declared.versions[best]} that this machine has"
        return by_minor[best], "; ".join(filter(None, (note, spec_note, era_note)))
    best = max(fits, key=Version)
    notes = "; ".join(filter(None, (f"fits {spec_note}" if spec_note else "", era_note)))
    return by_minor[best], f"newest here that {notes}" if notes else "nothing declared: newest here"


def _have(by_minor: dict[str, Interpreter]) -> str:
    return ", ".join(sorted(by_minor, key=Version)) or "none"
