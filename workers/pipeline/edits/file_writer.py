"""Writing a set of file changes to disk as one unit: all of them, or none (rolled back)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Change(Protocol):
    path: str
    old: bytes | None
    new: bytes | None


class StaleFile(Exception):
    """A file changed on disk between planning the edits and writing them."""


def _read(target: Path) -> bytes | None:
    return target.read_bytes() if target.is_file() else None


def _write_replacing(target: Path, data: bytes) -> None:
    # Write beside the target, then rename over it: a reader never sees half a file.
    tmp = target.with_name(f".{target.name}.iquest-{os.getpid()}.tmp")
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
        with open(tmp, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _make_parents(root: Path, target: Path, created: list[Path]) -> None:
    missing = []
    parent = target.parent
    while parent != root and not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir()
        created.append(folder)


def write_changes(root: Path, changes: Sequence[Change]) -> None:
    """Write every change; on any failure restore what was written and re-raise."""
    root = Path(root)
    for change in changes:
        if _read(root / change.path) != change.old:
            raise StaleFile(f"{change.path} changed on disk while the edits were prepared")
    done: list[Change] = []
    created: list[Path] = []
    try:
        for change in changes:
            target = root / change.path
            if change.new is None:
                target.unlink()
            else:
                _make_parents(root, target, created)
                _write_replacing(target, change.new)
            done.append(change)
    except BaseException:
        _roll_back(root, done, created)
        raise


def _roll_back(root: Path, done: list[Change], created: list[Path]) -> None:
    for change in reversed(done):
        target = root / change.path
        with contextlib.suppress(OSError):
            if change.old is None:
                target.unlink()
            else:
                _write_replacing(target, change.old)
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()
