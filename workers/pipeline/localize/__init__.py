"""Localization: from an issue's text and a repository tree, the files most likely to need editing."""

from __future__ import annotations

from pathlib import Path

from workers.pipeline.localize.rank import (
    RankedFile,
    RankWeights,
    ScanLimits,
    combine_evidence,
    gather_evidence,
    rank_files,
)
from workers.pipeline.localize.tree import FileKind

__all__ = [
    "FileKind",
    "RankWeights",
    "RankedFile",
    "ScanLimits",
    "combine_evidence",
    "gather_evidence",
    "localize",
    "rank_files",
]


def localize(root: str | Path, issue_text: str, top_k: int = 10) -> list[str]:
    """Repo-relative paths of the top_k files most likely to need editing, best first.

    Files with evidence come first; when fewer than top_k have any, the rest are the
    project's source files nearest the top of the tree, so a vague issue still gets code.
    """
    if top_k <= 0:
        return []
    evidence = gather_evidence(root, issue_text)
    paths = [ranked.path for ranked in combine_evidence(evidence)[:top_k]]
    if len(paths) < top_k:
        chosen = set(paths)
        fallback = sorted(
            (
                f.path
                for f in evidence.files.values()
                if f.kind == FileKind.SOURCE and f.path not in chosen
            ),
            key=lambda path: (path.count("/"), path),
        )
        paths += fallback[: top_k - len(paths)]
    return paths
