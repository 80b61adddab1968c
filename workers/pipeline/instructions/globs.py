"""`applyTo` globs as Copilot's instruction files write them (`**/*.ts,src/**`)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")  # any folders, none included
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def split_globs(apply_to: str) -> list[str]:
    """`"a/**, *.py"` → ["a/**", "*.py"] (the front matter takes one comma-separated string)."""
    return [part.strip().lstrip("/") for part in apply_to.split(",") if part.strip()]


def glob_matches(pattern: str, path: str) -> bool:
    """Whether a repository path matches one glob: `*` stays within a folder, `**` crosses them."""
    return _compile(pattern).match(path) is not None
