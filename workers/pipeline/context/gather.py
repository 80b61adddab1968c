"""The code an issue gets: localization's ranking packed into a token budget.

One function, so the pipeline (`run.propose_fix`) and `iquest context` show the model the
same thing for the same tree, issue and budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workers.model.port import Tokenizer
from workers.pipeline.context.localize import FileKind, Localization, RankedFile, locate_files
from workers.pipeline.context.narrow import Narrower, Narrowing, merge_ranking
from workers.pipeline.context.pack import CodeContext, PackOptions, pack_context
from workers.pipeline.timing import Stage, StageTimer, untimed

LOCALIZE_TOP_K = 15


@dataclass(frozen=True)
class GatheredCode:
    """The ranked paths (empty: nothing to work on) and the packed code section."""

    ranked: tuple[str, ...]
    code: CodeContext
    all_paths: tuple[str, ...] = ()


def gather_code(
    root: str | Path,
    query: str,
    budget_tokens: int,
    tokenizer: Tokenizer,
    ranked_first: Sequence[str] = (),
    timer: StageTimer = untimed,
    narrower: Narrower | None = None,
) -> GatheredCode:
    """Rank the files for the issue text and pack the best into budget_tokens.

    `ranked_first`: paths put ahead of localization's picks (a PR's changed files).
    `narrower` (opt-in): the model names files and functions, one more piece of evidence.
    """
    root = Path(root)
    # The issue is read once: the ranking's evidence also picks what packing shows.
    with timer(Stage.LOCALIZE):
        localization = locate_files(root, query, top_k=LOCALIZE_TOP_K)
        if narrower is not None:
            localization = narrowed(localization, narrower.narrow(root, localization))
    return pack_located(root, localization, budget_tokens, tokenizer, ranked_first, timer)


def narrowed(localization: Localization, narrowing: Narrowing) -> Localization:
    """The localization with the model's picks merged into its ranking and its named
    functions favoured in packing."""
    if not narrowing.paths:
        return localization
    order = merge_ranking(localization, narrowing, LOCALIZE_TOP_K)
    by_path = {f.path: f for f in localization.files}
    files = tuple(
        by_path.get(path) or RankedFile(path, 0.0, FileKind.SOURCE, {"narrowing": 1.0})
        for path in order
    )
    issue = replace(localization.issue, focus=narrowing.functions)
    return replace(localization, files=files, issue=issue)


def pack_located(
    root: str | Path,
    localization: Localization,
    budget_tokens: int,
    tokenizer: Tokenizer,
    ranked_first: Sequence[str] = (),
    timer: StageTimer = untimed,
    options: PackOptions = PackOptions(),
) -> GatheredCode:
    """The packing half of `gather_code`, for a localization already made (benchmarks pack
    one localization at several budgets)."""
    root = Path(root)
    ranked = localization.paths
    if ranked_first:
        first = [p for p in ranked_first if (root / p).is_file()]
        ranked = [*first, *(p for p in ranked if p not in first)][: max(LOCALIZE_TOP_K, len(first))]
    if not ranked:
        return GatheredCode((), CodeContext("", 0, budget_tokens, (), ()), localization.all_paths)
    with timer(Stage.PACK):
        code = pack_context(
            root,
            ranked,
            localization.issue,
            budget_tokens,
            tokenizer,
            all_paths=localization.all_paths,
            options=options,
        )
    return GatheredCode(tuple(ranked), code, localization.all_paths)
