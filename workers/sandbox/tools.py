"""Tools the worker ships into the sandbox: its own pytest, read-only, and nothing else of it.

Only the files of pytest's distribution and its dependencies are mounted (not the worker's
site-packages, which also holds the clients that talk to GitHub and the model; no secrets
live there either way, but less shown is less to reason about).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from workers.sandbox.port import Mount

TOOLS_DIR = "/opt/iquest/pytest"
PYTEST_DISTRIBUTIONS = ("pytest", "pluggy", "iniconfig", "packaging", "pygments")
# pytest's backports on older Pythons: shipped when the worker has them.
OPTIONAL_DISTRIBUTIONS = ("exceptiongroup", "tomli")


def pytest_mounts() -> tuple[tuple[Mount, ...], dict[str, str]]:
    """Mounts of pytest's top-level modules and the environment that puts them on sys.path."""
    mounts: dict[str, Mount] = {}
    for name in (*PYTEST_DISTRIBUTIONS, *OPTIONAL_DISTRIBUTIONS):
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name in OPTIONAL_DISTRIBUTIONS:
                continue
            raise
        for file in distribution.files or ():
            top = file.parts[0]
            if top.endswith((".dist-info", ".egg-info")) or top in ("..", "__pycache__"):
                continue
            source = Path(distribution.locate_file(top))
            if top not in mounts and source.exists():
                mounts[top] = Mount(source, f"{TOOLS_DIR}/{top}")
    environment = {"PYTHONPATH": TOOLS_DIR, "PYTHONDONTWRITEBYTECODE": "1"}
    return tuple(mounts.values()), environment
