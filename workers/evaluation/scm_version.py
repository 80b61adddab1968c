"""A version for projects that take theirs from git tags (setuptools-scm, hatch-vcs) when the
tree has no `.git`: SWE-bench's trees are clones, ours are `git archive` extracts, so the build
would fail ("unable to detect version") or claim 0.1.dev0 (and trip the project's own
`minversion` checks). A `PKG-INFO` in the root is the fallback those tools read for sdists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from packaging.version import InvalidVersion, Version

_SCM = re.compile(r"setuptools[_-]scm|hatch-vcs|use_scm_version")
_DESCRIBE = re.compile(r"^v?(?P<tag>.+)-(?P<distance>\d+)-g[0-9a-f]+$")


def uses_scm_version(tree: Path) -> bool:
    for name in ("pyproject.toml", "setup.py", "setup.cfg"):
        path = tree / name
        if path.is_file() and _SCM.search(path.read_text(errors="replace")):
            return True
    return False


def describe(git_dir: Path, commit: str) -> str | None:
    """The version git tags give `commit`: the tag itself, or `<tag>.post<distance>` past it."""
    done = subprocess.run(
        ["git", "-C", str(git_dir), "describe", "--tags", "--long", commit],
        capture_output=True, text=True, timeout=60, check=False,
    )
    match = _DESCRIBE.match(done.stdout.strip()) if done.returncode == 0 else None
    if match is None:
        return None
    distance = int(match.group("distance"))
    try:
        tag = Version(match.group("tag"))
    except InvalidVersion:
        return None
    if distance == 0:
        return str(tag)
    # Past a development tag (9.2.0.dev0): a later development release of the same version.
    return f"{tag.base_version}.dev{distance}" if tag.is_devrelease else f"{tag}.post{distance}"


def pretend_version(tree: Path, git_dir: Path | None, commit: str, name: str) -> str | None:
    """Write PKG-INFO with the tag-derived version when the project needs one; the version."""
    if git_dir is None or (tree / ".git").exists() or (tree / "PKG-INFO").exists():
        return None
    if not uses_scm_version(tree):
        return None
    version = describe(git_dir, commit)
    if version is not None:
        (tree / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return version
