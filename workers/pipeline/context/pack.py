"""Context packing: the code section of the prompt, the best of the ranked files within a token budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workers.model.port import Tokenizer
from workers.pipeline.context.blocks import (
    CodeContext,
    ContextRole,
    PackedFile,
    assemble,
    merge_spans,
    parents,
    render,
    split_lines,
)
from workers.pipeline.context.covering_test import find_test_file
from workers.pipeline.context.estimate import TokenEstimate, line_sizes
from workers.pipeline.context.localize.evidence import IssueEvidence
from workers.pipeline.context.localize.lexical import count_terms
from workers.pipeline.context.localize.symbols import (
    Definition,
    DefinitionKind,
    FileOutline,
    outline_file,
)
from workers.pipeline.context.localize.tree import (
    detect_language,
    read_text,
    walk_tree,
)

MAX_READ_BYTES = 1 << 20
DEFAULT_MAX_FILES = 6
TEST_SHARE = 0.2
# Below this many tokens a further file adds headers, not understanding.
MIN_USEFUL_TOKENS = 64
FALLBACK_CHUNK_LINES = 60
# A definition the narrowing model named counts like a traceback line inside it.
FOCUS_SCORE = 10.0


@dataclass(frozen=True)
class PackOptions:
    """Knobs of the packing method (benchmarks sweep them; the defaults are the product's)."""

    max_files: int = DEFAULT_MAX_FILES
    test_share: float = TEST_SHARE
    # Share of what is left that a file too large to show whole may take before the rest
    # (bench/context_loro.py: 0.85, tuned on every budget; docs/context.md).
    partial_share: float = 0.85


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    score: float
    anchor: tuple[int, int] | None = None  # the enclosing class's header line, shown with a method


class _Packer:
    """Plans with estimates calibrated by one measurement of the candidates (estimate.py);
    the model server is asked twice in all (that and the joined result), not once per piece."""

    def __init__(
        self,
        root: Path,
        issue: IssueEvidence,
        tokenizer: Tokenizer,
        options: PackOptions = PackOptions(),
    ):
        self.root = root
        self.options = options
        self.tokenizer = tokenizer
        self.issue = issue
        self.query = set(issue.query)
        self.estimates = TokenEstimate()  # until measure() calibrates it
        self._texts: dict[str, str | None] = {}
        self._path = ""  # the file whose units are being scored

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
        text = self.text(path)
        if not text:
            return 1 << 30
        lines = split_lines(text)
        return self.estimate(render(path, lines, [(1, len(lines))], whole=True))

    def estimate(self, text: str) -> int:
        return self.estimates.of(text)

    def pack_file(self, path: str, role: ContextRole, allowance: int) -> PackedFile | None:
        """The whole file when it fits the allowance, else its most relevant parts, else None."""
        text = self.text(path)
        if text is None or allowance < MIN_USEFUL_TOKENS:
            return None
        truncated = len(text.encode("utf-8", "replace")) >= MAX_READ_BYTES
        lines = split_lines(text, truncated)
        if not lines:
            return None
        whole = render(path, lines, [(1, len(lines))], whole=True)
        whole_tokens = self.estimate(whole)
        if whole_tokens <= allowance and not truncated:
            return PackedFile(path, role, True, ((1, len(lines)),), whole, whole_tokens)
        language = detect_language(path)
        structure = outline_file(text, language)
        # Definitions are counted in the text read; a truncated read's cut last line is gone.
        units = [
            replace(unit, end=min(unit.end, len(lines)))
            for unit in self._units(structure, lines, path)
            if unit.start <= len(lines) and (unit.anchor is None or unit.anchor[1] <= len(lines))
        ]
        kept = [(n, n) for n in structure.imports if n <= len(lines)]
        chosen = self._choose(units, kept, lines, line_sizes(lines), allowance, path)
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

    def _choose(
        self,
        units: list[_Unit],
        kept: list[tuple[int, int]],
        lines: list[str],
        sizes: list[tuple[int, int]],
        allowance: int,
        path: str,
    ) -> list[tuple[int, int]]:
        header_cost = self.estimate(render(path, lines[:1], [(1, 1)], whole=False))
        used = header_cost + self.estimates.of_lines(sizes, kept)
        if used > allowance:
            kept, used = [], header_cost
        chosen = list(kept)
        for unit in sorted(units, key=lambda u: (-u.score, u.start)):
            if unit.score <= 0:
                break
            spans = [(unit.start, unit.end)] + ([unit.anchor] if unit.anchor else [])
            cost = self.estimates.of_lines(sizes, spans) + 1
            if used + cost <= allowance:
                chosen.extend(spans)
                used += cost
        return chosen if len(chosen) > len(kept) or kept else []

    def _units(self, structure: FileOutline, lines: list[str], path: str) -> list[_Unit]:
        """Whole functions and class headers (methods apart), scored by relevance to the issue."""
        definitions = sorted(structure.definitions, key=lambda d: (d.start, -d.end))
        self._path = path
        hints = self.issue.pointed_lines(path)
        if not definitions:
            return [
                self._score(
                    start, min(len(lines), start + FALLBACK_CHUNK_LINES - 1), lines, hints, None
                )
                for start in range(1, len(lines) + 1, FALLBACK_CHUNK_LINES)
            ]
        enclosing = parents(definitions)
        first_child: dict[int, int] = {}
        in_function: list[bool] = []
        for index, parent in enumerate(enclosing):
            if parent is not None:
                first_child.setdefault(parent, definitions[index].start)
            in_function.append(
                parent is not None
                and (definitions[parent].kind == DefinitionKind.FUNCTION or in_function[parent])
            )
        units = []
        for index, definition in enumerate(definitions):
            if in_function[index]:
                continue  # a function nested in a function is shown with its parent
            parent = enclosing[index]
            anchor = None
            if parent is not None and definitions[parent].kind == DefinitionKind.CLASS:
                header = definitions[parent]
                anchor = (
                    header.start,
                    max(header.start, min(first_child[parent] - 1, header.start + 2)),
                )
            end = definition.end
            if definition.kind == DefinitionKind.CLASS and index in first_child:
                end = max(definition.start, first_child[index] - 1)
            units.append(self._score(definition.start, end, lines, hints, definition, anchor))
        return units

    def _score(
        self,
        start: int,
        end: int,
        lines: list[str],
        hints: set[int],
        definition: Definition | None,
        anchor: tuple[int, int] | None = None,
    ) -> _Unit:
        counts, _ = count_terms("\n".join(lines[start - 1 : end]))
        score = float(sum(1 for term in self.query if term in counts))
        score += 10.0 * sum(1 for line in hints if start <= line <= end)
        if definition is not None:
            score += 5.0 * self.issue.identifiers.get(definition.name, 0.0)
            focus = self.issue.focus.get(self._path, ())
            if definition.name in focus or definition.qualname in focus:
                score += FOCUS_SCORE
        return _Unit(start, end, score, anchor)


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

    Files come in rank order, whole when they fit, else as their imports and most relevant
    definitions within `options.partial_share` of what is left, so the next files still
    get room; then the cut files, in rank order, grow into what the others left. The
    covering test file comes last (looked up in all_paths, or in the tree
    when not given). The same inputs give the same text.
    """
    root = Path(root)
    max_files, test_share = options.max_files, options.test_share
    ranked = list(dict.fromkeys(ranked))
    if ranked and all_paths is None:
        all_paths = [f.path for f in walk_tree(root)]
    test = find_test_file(ranked[0], all_paths or ranked) if ranked else None
    packer = _Packer(root, issue, tokenizer, options)
    readable = [p for p in ranked if p != test and packer.text(p)][:max_files]
    packer.measure([*readable, *([test] if test else [])])
    separator = packer.estimate("\n")
    # The test's share is kept for it, but never more than its whole block needs.
    reserve = (
        min(int(budget_tokens * test_share), packer.whole_tokens(test) + separator) if test else 0
    )
    edit_budget = budget_tokens - reserve
    candidates = [p for p in ranked if p != test]
    packed: list[PackedFile] = []
    omitted: list[str] = []
    used = 0
    for index, path in enumerate(candidates):
        allowance = edit_budget - used - separator
        block = None
        if len(packed) < max_files:
            if packer.whole_tokens(path) > allowance and index + 1 < len(candidates):
                # Parts of a file too large to show whole leave room for the next files;
                # what those do not take comes back to it below.
                block = packer.pack_file(
                    path, ContextRole.EDIT, int(allowance * options.partial_share)
                )
            block = block or packer.pack_file(path, ContextRole.EDIT, allowance)
        if block is None:
            omitted.append(path)
            continue
        packed.append(block)
        used += block.tokens + separator
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
    return assemble(packed, omitted, budget_tokens, tokenizer)
