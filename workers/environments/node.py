"""Node as the second ecosystem: `package-lock.json` → `npm ci` into a cached node_modules.

The lockfile pins everything, so the key is the lockfile, package.json and the node version;
no date cut-off is needed. node_modules is built in the sandbox (network on), copied out of
the tree into the environment, and mounted read-only at the tree's node_modules for tests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from workers.environments.interpreters import Interpreter

NPM_CI = ("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")


@functools.cache
def find_node() -> Interpreter | None:
    path = shutil.which("node")
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    version = out.stdout.strip().lstrip("v")
    if out.returncode != 0 or not version:
        return None
    executable = Path(path).resolve()
    return Interpreter(version, executable, executable.parent.parent, "node")


def read_lockfile(folder: Path) -> tuple[dict[str, str], str] | None:
    """(dependency file → sha256, the reason) when folder has a package-lock.json; else None."""
    lock = folder / "package-lock.json"
    manifest = folder / "package.json"
    if not (lock.is_file() and manifest.is_file()):
        return None
    try:
        version = json.loads(lock.read_text()).get("lockfileVersion", "?")
    except (OSError, ValueError):
        version = "?"
    inputs = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("package.json", "package-lock.json")}
    return inputs, f"from package-lock.json (lockfileVersion {version})"


def has_test_script(folder: Path) -> bool:
    """package.json names a test script other than npm's placeholder."""
    try:
        script = json.loads((folder / "package.json").read_text()).get("scripts", {}).get("test", "")
    except (OSError, ValueError, AttributeError):
        return False
    return bool(script) and "no test specified" not in script
