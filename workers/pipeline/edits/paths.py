"""Resolving the paths a model writes to safe, repository-relative paths."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from pathlib import Path

from workers.pipeline.edits.types import EditRefused, RefusalKind

# Never written, whatever the repository's settings say: the app has no workflows
# permission (DESIGN §6), and .git holds the repository itself.
ALWAYS_PROTECTED = (".github/workflows/*", ".git/*", ".git")
_DRIVE = re.compile(r"^[A-Za-z]:/")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _strip_repo_prefix(root: Path, parts: list[str]) -> list[str]:
    """Drop a leading repository-name folder (`click/click/types.py`) when the path only
    makes sense without it."""
    rel = "/".join(parts)
    if len(parts) < 2 or (root / rel).exists():
        return parts
    rest = parts[1:]
    if (root / "/".join(rest)).is_file():
        return rest
    first_is_unknown = not (root / parts[0]).exists()
    new_file_fits = len(rest) > 1 and (root / "/".join(rest)).parent.is_dir()
    if first_is_unknown and (new_file_fits or parts[0] == root.resolve().name):
        return rest
    return parts


def check_protected(rel: str, protected: Sequence[str] = ()) -> None:
    lowered = rel.lower()
    for pattern in (*ALWAYS_PROTECTED, *protected):
        if fnmatch.fnmatchcase(lowered, pattern.lower()) or fnmatch.fnmatchcase(rel, pattern):
            raise EditRefused(
                RefusalKind.PROTECTED_PATH, f"{rel} is protected ({pattern}); it is never edited"
            )


def resolve_edit_path(root: Path, raw: str, protected: Sequence[str] = ()) -> str:
    """The repository-relative path an edit targets; refuses anything that leaves `root`."""
    text = raw.strip().strip("`'\"").replace("\\", "/")
    if not text or "\0" in text:
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{raw!r} is not a usable path")
    real_root = os.path.realpath(root)
    if text.startswith("/") or _DRIVE.match(text):
        absolute = os.path.normpath(text)
        if not _within(os.path.realpath(absolute), real_root):
            raise EditRefused(
                RefusalKind.UNSAFE_PATH, f"{raw} is outside the repository (absolute path)"
            )
        text = os.path.relpath(os.path.realpath(absolute), real_root).replace(os.sep, "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{raw} uses '..' to leave its folder")
    if not parts:
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{raw!r} names no file")
    rel = "/".join(_strip_repo_prefix(root, parts))
    check_protected(rel, protected)
    target = root / rel
    if not _within(os.path.realpath(target), real_root):
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{rel} resolves outside the repository")
    if target.is_symlink():
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{rel} is a symbolic link")
    if target.exists() and not target.is_file():
        raise EditRefused(RefusalKind.UNSAFE_PATH, f"{rel} is not a regular file")
    return rel
