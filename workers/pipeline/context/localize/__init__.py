"""Localization: from an issue's text and a repository tree, the files most likely to need editing.

`locate_files` returns a `Localization`: the ranked files and the evidence behind them (the
issue read once: mentions with kinds and lines, identifiers, query terms), which packing
takes instead of the raw text. `localize` is its list of paths (`iquest localize`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workers.pipeline.context.localize.evidence import IssueEvidence, read_issue
from workers.pipeline.context.localize.rank import (
    RankedFile,
    RankWeights,
    ScanLimits,
    combine_evidence,
    gather_evidence,
    rank_files,
)
from workers.pipeline.context.localize.tree import FileKind

__all__ = [
    "FileKind",
    "IssueEvidence",
    "Localization",
    "RankWeights",
    "RankedFile",
    "ScanLimits",
    "combine_evidence",
    "gather_evidence",
    "locate_files",
    "localize",
    "rank_files",
    "read_issue",
]


@dataclass(frozen=True)
class Localization:
    """The files to look at, best first, with the evidence that ranked them."""

    files: tuple[RankedFile, ...]
    issue: IssueEvidence
    # Every path in the tree, so later stages (the covering test file) need not walk it again.
    all_paths: tuple[str, ...]

    @property
    def paths(self) -> list[str]:
        return [ranked.path for ranked in self.files]


def locate_files(root: str | Path, issue_text: str, top_k: int = 10) -> Localization:
    """The top_k files most likely to need editing, best first, and the evidence behind them.

    Files with evidence come first; when fewer than top_k have any, the rest are the
    project's source files nearest the top of the tree (score 0), so a vague issue still
    gets code.
    """
    evidence = gather_evidence(root, issue_text)
    all_paths = tuple(evidence.files)
    if top_k <= 0:
        return Localization((), evidence.issue, all_paths)
    chosen = combine_evidence(evidence)[:top_k]
    if len(chosen) < top_k:
        taken = {ranked.path for ranked in chosen}
        fallback = sorted(
            (
                f
                for f in evidence.files.values()
                if f.kind == FileKind.SOURCE and f.path not in taken
            ),
            key=lambda f: (f.path.count("/"), f.path),
        )
        chosen += [RankedFile(f.path, 0.0, f.kind, {}) for f in fallback[: top_k - len(chosen)]]
    return Localization(tuple(chosen), evidence.issue, all_paths)


def localize(root: str | Path, issue_text: str, top_k: int = 10) -> list[str]:
    """Repo-relative paths of the top_k files most likely to need editing, best first."""
    if top_k <= 0:
        return []
    return locate_files(root, issue_text, top_k).paths
