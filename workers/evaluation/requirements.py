"""The requirements SWE-bench installs for a `requirements.txt` spec: the repository's
requirements file as of the instance's `environment_setup_commit` (not the base commit), its
`-r` includes inlined one level deep, the project's own install lines (`-e .`, `.[test`)
and comments left out, and packages yanked from PyPI replaced (as its harness does)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence

# (path) → the file's text at the wanted commit, or None when it is not there.
ReadFile = Callable[[str], "str | None"]
_EXCLUDED = ("-e .", "#", ".[test")
_REPLACED = (("types-pkg_resources", "types-setuptools"),)


def _kept(line: str) -> bool:
    return not line.strip().startswith(_EXCLUDED)


def requirements_text(paths: Sequence[str], read: ReadFile) -> str | None:
    """The combined requirements of the first of `paths` that exists; None when none does."""
    for path in paths:
        text = read(path)
        if text is not None:
            break
    else:
        return None
    folder = posixpath.dirname(path)
    included: list[str] = []
    own: list[str] = []
    for line in text.split("\n"):
        if line.strip().startswith("-r"):
            extra = read(posixpath.normpath(posixpath.join(folder, line.strip()[2:].strip())))
            included += [x for x in (extra or "").split("\n") if _kept(x)]
        elif _kept(line):
            own.append(line)
    combined = "\n".join([*included, "\n".join(own)])
    for old, new in _REPLACED:
        combined = re.sub(rf"^{re.escape(old)}([<>=!~]=?.*|$)", new, combined, flags=re.MULTILINE)
    return combined
