"""Which test file covers a source file: named after it, nearest to it in the tree."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path

from workers.pipeline.context.localize.tree import FileKind, classify_path


def find_test_file(top: str, paths: Sequence[str]) -> str | None:
    """The test file that most likely covers `top`: named after it, nearest to it in the tree."""
    stem = Path(top).stem
    if stem in ("__init__", "index", "mod", "lib"):
        stem = Path(top).parent.name
    suffix = Path(top).suffix
    names = {
        f"test_{stem}{suffix}",
        f"{stem}_test{suffix}",
        f"{stem}_tests{suffix}",
        f"test_{stem}s{suffix}",
        f"{stem}.test{suffix}",
        f"{stem}.spec{suffix}",
        f"{stem[:1].upper()}{stem[1:]}Test{suffix}",
        f"{stem}_spec{suffix}",
    }
    candidates = [
        p for p in paths if posixpath.basename(p) in names and classify_path(p) == FileKind.TEST
    ]
    if not candidates:
        return None
    top_dirs = top.split("/")[:-1]

    def closeness(path: str) -> tuple[int, str]:
        shared = 0
        for a, b in zip(top_dirs, path.split("/")[:-1], strict=False):
            if a != b:
                break
            shared += 1
        return (-shared, path)

    return min(candidates, key=closeness)
