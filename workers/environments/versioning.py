"""The version of a project versioned by git tags, when the tree has no .git (a tarball).

setuptools-scm and hatch-vcs fail without git metadata; the build gets
SETUPTOOLS_SCM_PRETEND_VERSION from here instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.version import InvalidVersion, Version

SCM_USERS = ("setuptools_scm", "setuptools-scm", "hatch-vcs", "use_scm_version")
CHANGELOGS = ("CHANGELOG*", "CHANGES*", "HISTORY*", "NEWS*", "doc/en/changelog.rst", "docs/changelog.*",
              "doc/changelog.*", "docs/changes.*")
RELEASE = re.compile(r"^\W*(?:v|version\s+|release\s+|[\w-]+\s+)?(\d+\.\d+(?:\.\d+)?)\b", re.MULTILINE | re.IGNORECASE)


def scm_version(root: Path) -> tuple[str, str]:
    """(version, where it comes from) for a project whose version comes from git
    (setuptools-scm, hatch-vcs), which a tarball lacks: PKG-INFO's, else the newest release
    heading of the changelog, else 0.0.0. ("", "") when the project does not need one."""
    text = "".join((root / n).read_text(errors="replace")[:5000] for n in ("pyproject.toml", "setup.py", "setup.cfg")
                   if (root / n).is_file())
    if not any(word in text for word in SCM_USERS) or (root / ".git").exists():
        return "", ""
    pkg_info = root / "PKG-INFO"
    if pkg_info.is_file() and (match := re.search(r"^Version: (\S+)", pkg_info.read_text(errors="replace"), re.M)):
        return match.group(1), "PKG-INFO"
    for pattern in CHANGELOGS:
        for path in sorted(root.glob(pattern)):
            if not path.is_file():
                continue
            head = "\n".join(path.read_text(errors="replace").splitlines()[:300])
            versions = [Version(v) for v in RELEASE.findall(head)[:20] if _parses(v)]
            if versions:
                return str(max(versions)), f"the newest release in {path.relative_to(root).as_posix()}"
    return "0.0.0", "nothing tells the version"


def _parses(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True
