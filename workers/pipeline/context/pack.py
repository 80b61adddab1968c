"""Context packing: the code section of the prompt, the best of the ranked files within a token budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from workers.model.port import Tokenizer
from workers.pipeline.context.allot import Candidate, Decays, allot
from workers.pipeline.context.blocks import (
    CodeContext,
    ContextRole,
    PackedFile,
    assemble,
    merge_spans,
    render,
    split_lines,
)
from workers.pipeline.context.covering_test import find_test_file
from workers.pipeline.context.estimate import ESTIMATE_HEADROOM, TokenEstimate, line_sizes
from workers.pipeline.context.localize.evidence import IssueEvidence
from workers.pipeline.context.localize.symbols import outline_file
from workers.pipeline.context.localize.tree import detect_language, read_text, walk_tree
from workers.pipeline.context.units import Unit, file_units

MAX_READ_BYTES = 1 << 20
DEFAULT_MAX_FILES = 6
TEST_SHARE = 0.2
# Below this many tokens a further file adds headers, not understanding.
MIN_USEFUL_TOKENS = 64
# Growing into the measured section's room: at most this many measurements more, and a
# margin for the blocks' own rounding.
TOP_UP_ROUNDS = 2
TOP_UP_MARGIN = 0.97


@dataclass(frozen=True)
class PackOptions:
    """Knobs of the packing method (benchmarks sweep them; the defaults are the product's)."""

    max_files: int = DEFAULT_MAX_FILES
    test_share: float = TEST_SHARE
    # How the edit budget is shared (allot.py). `None`: the method before it, kept for
    # comparison — files in rank order, whole when they fit, a cut file taking at most
    # `partial_share` of what is left.
    decays: Decays | None = field(default_factory=Decays)
    partial_share: float = 0.85
    # After measuring the joined section, cut files grow into what the estimates' headroom left.
    top_up: bool = True


class _Cut(NamedTuple):
    """A file as packing cuts it: lines, their sizes, relevant units best first, imports,
    and its whole block (never shown when the read was truncated)."""

    lines: list[str]
    sizes: list[tuple[int, int]]
    units: list[Unit]
    imports: list[tuple[int, int]]
    whole: str
    truncated: bool


class _Packer:
    """Plans with estimates calibrated by one measurement of the candidates (estimate.py);
    the model server is asked a few times in all (that, the joined result, and at most
    TOP_UP_ROUNDS more), never once per piece."""

    def __init__(self, root: Path, issue: IssueEvidence, tokenizer: Tokenizer):
        self.root = root
        self.tokenizer = tokenizer
        self.issue = issue
        self.estimates = TokenEstimate()  # until measure() calibrates it
        self._texts: dict[str, str | None] = {}
        self._cut: dict[str, _Cut] = {}

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            self._texts[path] = read_text(self.root, path, MAX_READ_BYTES)
        return self._texts[path]

    def measure(self, paths: Sequence[str]) -> None:
        """One request: the candidates' blocks, joined as the prompt joins them, calibrate
        every estimate packing makes."""
        blocks = []
        for path in paths:
            text = self.text(path)
            lines = text.splitlines() if text else []
            if lines:
                blocks.append(render(path, lines, [(1, len(lines))], whole=True))
        self.estimates = TokenEstimate.measured(self.tokenizer, blocks)

    def whole_tokens(self, path: str) -> int:
        """The estimate of the file's whole block (large when it cannot be read)."""
        if not self.text(path):
            return 1 << 30
        return self.estimate(self.cut(path).whole)

    def header_tokens(self, path: str, lines: list[str]) -> int:
        """The estimate of an excerpt's frame: its path line, fence and markers."""
        return self.estimate(render(path, lines[:1], [(1, 1)], whole=False))

    def estimate(self, text: str) -> int:
        return self.estimates.of(text)

    def cut(self, path: str) -> _Cut:
        """The file's lines, its relevant units (best first) and its import lines; parsed once."""
        if path not in self._cut:
            text = self.text(path) or ""
            truncated = len(text.encode("utf-8", "replace")) >= MAX_READ_BYTES
            # In a truncated read the cut last line is gone; definitions past it are dropped.
            lines = split_lines(text, truncated)
            structure = outline_file(text, detect_language(path))
            units = sorted(
                (u for u in file_units(structure, lines, self.issue, path) if u.score > 0),
                key=lambda u: (-u.score, u.start),
            )
            kept = [(n, n) for n in structure.imports if n <= len(lines)]
            whole = render(path, lines, [(1, len(lines))], whole=True)
            self._cut[path] = _Cut(lines, line_sizes(lines), units, kept, whole, truncated)
        return self._cut[path]

    def candidate(self, path: str, separator: int) -> Candidate:
        """The file as the budget's greedy sees it."""
        cut = self.cut(path)
        head = self.header_tokens(path, cut.lines)
        head += self.estimates.of_lines(cut.sizes, cut.imports) + separator
        whole = self.whole_tokens(path) + separator
        # A file none of whose units the issue's words reach (ranked by its path or a
        # mention) is one unit: the whole of it.
        costs = [self.estimates.of_lines(cut.sizes, unit.spans) + 1 for unit in cut.units]
        return Candidate(head, whole, tuple(costs) or (max(0, whole - head),))

    def pack_file(self, path: str, role: ContextRole, allowance: int) -> PackedFile | None:
        """The whole file when it fits the allowance, else its most relevant parts, else None."""
        if self.text(path) is None or allowance <= 0:
            return None
        cut = self.cut(path)
        lines = cut.lines
        if not lines:
            return None
        whole_tokens = self.estimate(cut.whole)
        if whole_tokens <= allowance and not cut.truncated:
            return PackedFile(path, role, True, ((1, len(lines)),), cut.whole, whole_tokens)
        if allowance < MIN_USEFUL_TOKENS:
            return None
        chosen = self._choose(cut, allowance, path)
        while chosen:
            spans = merge_spans(chosen, lines)
            block = render(path, lines, spans, whole=False)
            tokens = self.estimate(block)
            if tokens <= allowance:
                return PackedFile(path, role, False, tuple(spans), block, tokens)
            # The spans' estimate missed the block's (markers, merged gaps): give up the
            # last tenth chosen and estimate again.
            chosen = chosen[: len(chosen) * 9 // 10]
        return None

    def _choose(self, cut: _Cut, allowance: int, path: str) -> list[tuple[int, int]]:
        """The imports, then the best units while they fit (units come best first)."""
        sizes, kept = cut.sizes, cut.imports
        header_cost = self.header_tokens(path, cut.lines)
        used = header_cost + self.estimates.of_lines(sizes, kept)
        if used > allowance:
            kept, used = [], header_cost
        chosen = list(kept)
        for unit in cut.units:
            cost = self.estimates.of_lines(sizes, unit.spans) + 1
            if used + cost <= allowance:
                chosen.extend(unit.spans)
                used += cost
        return chosen if len(chosen) > len(kept) or kept else []


def pack_context(
    root: str | Path,
    ranked: Sequence[str],
    issue: IssueEvidence,
    budget_tokens: int,
    tokenizer: Tokenizer,
    all_paths: Sequence[str] | None = None,
    options: PackOptions = PackOptions(),
) -> CodeContext:
    """Pack the ranked files (best first) and the top file's test into at most budget_tokens.

    `issue` is localization's reading of the issue (`Localization.issue`): its terms,
    identifiers and the lines it points at choose what of a large file is shown.

    The edit budget is shared among the first `max_files` files by one greedy over all
    their units (allot.py): a file is whole when it fits its share, else its imports and
    most relevant units; then the cut files, in rank order, grow into what the others left.
    The covering test file comes last (looked up in all_paths, or in the tree when not
    given). Once the section is measured, cut files grow into the room the estimates'
    headroom left. The same inputs give the same text.
    """
    root = Path(root)
    ranked = list(dict.fromkeys(ranked))
    if ranked and all_paths is None:
        all_paths = [f.path for f in walk_tree(root)]
    test = find_test_file(ranked[0], all_paths or ranked) if ranked else None
    packer = _Packer(root, issue, tokenizer)
    candidates = [p for p in ranked if p != test]
    readable = [p for p in candidates if packer.text(p)][: options.max_files]
    packer.measure([*readable, *([test] if test else [])])
    separator = packer.estimate("\n")
    # The test's share is kept for it, but never more than its whole block needs.
    reserve = (
        min(int(budget_tokens * options.test_share), packer.whole_tokens(test) + separator)
        if test
        else 0
    )
    edit_budget = budget_tokens - reserve
    if options.decays is None:
        packed, omitted = _in_rank_order(packer, candidates, edit_budget, separator, options)
    else:
        packed, omitted = _allotted(
            packer, candidates, readable, edit_budget, separator, options.decays
        )
    used = sum(block.tokens + separator for block in packed)
    for index, block in enumerate(packed):
        spare = edit_budget - used
        if block.whole or spare < MIN_USEFUL_TOKENS:
            continue
        grown = packer.pack_file(block.path, ContextRole.EDIT, block.tokens + spare)
        if grown is not None and grown.tokens > block.tokens:
            packed[index] = grown
            used += grown.tokens - block.tokens
    if test:
        block = packer.pack_file(test, ContextRole.TEST, budget_tokens - used - separator)
        if block is not None:
            packed.append(block)
    context = assemble(packed, omitted, budget_tokens, tokenizer)
    return _top_up(packer, context, tokenizer) if options.top_up else context


def _allotted(
    packer: _Packer,
    candidates: list[str],
    readable: list[str],
    budget: int,
    separator: int,
    decays: Decays,
) -> tuple[list[PackedFile], list[str]]:
    """The first files' blocks, each within the share the greedy over units gave it."""
    shares = allot([packer.candidate(p, separator) for p in readable], budget, decays)
    blocks: dict[str, PackedFile] = {}
    for path, share in zip(readable, shares, strict=True):
        block = packer.pack_file(path, ContextRole.EDIT, share - separator) if share else None
        if block is not None:
            blocks[path] = block
    used = sum(block.tokens + separator for block in blocks.values())
    # What the units' granularity left goes to the files the greedy left out, in rank order.
    for path in readable:
        if path not in blocks:
            block = packer.pack_file(path, ContextRole.EDIT, budget - used - separator)
            if block is not None:
                blocks[path] = block
                used += block.tokens + separator
    packed = [blocks[path] for path in readable if path in blocks]
    return packed, [p for p in candidates if p not in blocks]


def _in_rank_order(
    packer: _Packer, candidates: list[str], budget: int, separator: int, options: PackOptions
) -> tuple[list[PackedFile], list[str]]:
    """The method before the greedy (kept for comparison): files in rank order, whole when
    they fit, a cut file taking at most `partial_share` of what is left."""
    packed: list[PackedFile] = []
    omitted: list[str] = []
    used = 0
    for index, path in enumerate(candidates):
        allowance = budget - used - separator
        block = None
        if len(packed) < options.max_files:
            if packer.whole_tokens(path) > allowance and index + 1 < len(candidates):
                # Parts of a file too large to show whole leave room for the next files.
                block = packer.pack_file(
                    path, ContextRole.EDIT, int(allowance * options.partial_share)
                )
            block = block or packer.pack_file(path, ContextRole.EDIT, allowance)
        if block is None:
            omitted.append(path)
            continue
        packed.append(block)
        used += block.tokens + separator
    return packed, omitted


def _top_up(packer: _Packer, context: CodeContext, tokenizer: Tokenizer) -> CodeContext:
    """Grow the cut files into the room the measured section left.

    Packing plans with estimates that carry headroom, so the measured section usually
    leaves a tenth of the budget unused. Calibrated on the section itself, the estimates
    are nearly exact: the cut files, in order, grow into that room, and the result is
    measured again; a result over the budget is dropped for the one before.
    """
    for _ in range(TOP_UP_ROUNDS):
        spare = context.budget - context.tokens
        if spare < MIN_USEFUL_TOKENS or not context.text:
            return context
        packer.estimates = TokenEstimate.from_count(context.tokens, context.text)
        # In estimate units (headroom included) the room is that much larger too.
        room = int(spare * ESTIMATE_HEADROOM * TOP_UP_MARGIN)
        blocks = list(context.files)
        for index, block in enumerate(blocks):
            if block.whole or room < MIN_USEFUL_TOKENS:
                continue
            current = packer.estimate(block.text)
            grown = packer.pack_file(block.path, block.role, current + room)
            if grown is not None and grown.spans != block.spans:
                blocks[index] = grown
                room -= packer.estimate(grown.text) - current
        if blocks == list(context.files):
            return context
        text = "\n".join(block.text for block in blocks)
        tokens = tokenizer.count_tokens(text)
        if tokens > context.budget:
            return context
        context = CodeContext(text, tokens, context.budget, tuple(blocks), context.omitted)
    return context
