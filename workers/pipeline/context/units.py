"""A file cut into the units packing shows or leaves out, each scored by what the issue says.

Units are whole functions, class headers (a method is its own unit, shown with its class's
header line), and the module-level code between definitions (constants, registrations,
`__all__`), in chunks; a file nothing can parse is cut into fixed chunks. A unit's score
weighs the issue's terms it holds, the traceback lines inside it, and whether the issue (or
the narrowing model) names it.

A term counts by how rare it is among the file's units (idf over the units: "attrs" is in
half of xarray's dataset.py, "reindex" in a few functions) times how often the issue uses it,
relative to the average term the file holds, so a unit holding one average term scores 1
and the fixed bonuses below keep their meaning in every file.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from workers.pipeline.context.blocks import parents
from workers.pipeline.context.localize.evidence import IssueEvidence
from workers.pipeline.context.localize.lexical import count_terms
from workers.pipeline.context.localize.symbols import Definition, DefinitionKind, FileOutline

CHUNK_LINES = 60
# A definition's unit takes the blank lines that separate it from what follows (PEP 8 puts
# two after a top-level one): a fix that appends code after a function inserts there, and
# the model can only anchor that insertion if it sees where the function ends.
TRAILING_BLANK_LINES = 2
# A line the issue points at (a traceback frame) inside the unit.
POINTED_LINE_SCORE = 10.0
# Per unit of an identifier's weight when the issue names the unit's definition.
NAMED_SCORE = 5.0
# A definition the narrowing model named counts like a traceback line inside it.
FOCUS_SCORE = 10.0


@dataclass(frozen=True)
class Unit:
    """Lines start..end (1-based, inclusive), and the class header shown with a method."""

    start: int
    end: int
    score: float
    anchor: tuple[int, int] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [(self.start, self.end)] + ([self.anchor] if self.anchor else [])


def file_units(
    structure: FileOutline, lines: list[str], issue: IssueEvidence, path: str
) -> list[Unit]:
    """The file's units within its lines, scored for the issue, in file order."""
    scorer = _Scorer(issue, path, lines)
    total = len(lines)
    definitions = sorted(
        (d for d in structure.definitions if d.start <= total),
        key=lambda d: (d.start, -d.end),
    )
    if not definitions:
        return scorer.scored([_Span(start, end) for start, end in _chunks(1, total)])
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
        end = min(definition.end, total)
        if definition.kind == DefinitionKind.CLASS and index in first_child:
            end = max(definition.start, first_child[index] - 1)
        end = _through_blank_lines(lines, end)
        units.append(_Span(definition.start, end, definition, anchor))
    covered = [(d.start, d.end) for d in definitions] + [(u.start, u.end) for u in units]
    units += [_Span(start, end) for start, end in module_code(covered, total)]
    return scorer.scored(sorted(units, key=lambda u: u.start))


def _through_blank_lines(lines: list[str], end: int) -> int:
    """The last line of a unit ending at `end`, with the blank lines right after it."""
    limit = min(len(lines), end + TRAILING_BLANK_LINES)
    while end < limit and not lines[end].strip():
        end += 1
    return end


def module_code(covered_spans: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """Runs of lines outside every covered span (the definitions and their units), in
    chunks: the code a fix that adds an import, a constant or a registration edits."""
    covered = bytearray(total + 1)
    for start, end in covered_spans:
        end = min(end, total)
        covered[start : end + 1] = b"\x01" * max(0, end - start + 1)
    runs: list[tuple[int, int]] = []
    start = None
    for number in range(1, total + 2):
        inside = number > total or covered[number]
        if not inside and start is None:
            start = number
        elif inside and start is not None:
            runs += _chunks(start, number - 1)
            start = None
    return runs


def _chunks(start: int, end: int) -> list[tuple[int, int]]:
    return [(s, min(end, s + CHUNK_LINES - 1)) for s in range(start, end + 1, CHUNK_LINES)]


@dataclass(frozen=True)
class _Span:
    """A unit before it is scored."""

    start: int
    end: int
    definition: Definition | None = None
    anchor: tuple[int, int] | None = None


class _Scorer:
    def __init__(self, issue: IssueEvidence, path: str, lines: list[str]):
        self.issue = issue
        self.query = set(issue.query)
        self.pointed = issue.pointed_lines(path)
        self.focus = issue.focus.get(path, frozenset())
        self.lines = lines

    def scored(self, spans: list[_Span]) -> list[Unit]:
        """Every span as a unit, its terms weighed over all the file's units."""
        held = [self._terms(span) for span in spans]
        weights = term_weights(held, self.issue.query)
        return [
            Unit(span.start, span.end, self._score(span, terms, weights), span.anchor)
            for span, terms in zip(spans, held, strict=True)
        ]

    def _terms(self, span: _Span) -> set[str]:
        counts, _ = count_terms("\n".join(self.lines[span.start - 1 : span.end]))
        return {term for term in self.query if term in counts}

    def _score(self, span: _Span, terms: set[str], weights: dict[str, float]) -> float:
        score = sum(weights[term] for term in terms)
        score += POINTED_LINE_SCORE * sum(
            1 for line in self.pointed if span.start <= line <= span.end
        )
        definition = span.definition
        if definition is not None:
            score += NAMED_SCORE * self.issue.identifiers.get(definition.name, 0.0)
            if definition.name in self.focus or definition.qualname in self.focus:
                score += FOCUS_SCORE
        return score


def term_weights(held: list[set[str]], query: dict[str, int]) -> dict[str, float]:
    """Each query term the units hold: its idf over the units times how often the issue uses
    it, divided by the mean of those over the terms present (the average term weighs 1)."""
    units = len(held)
    raw = {
        term: query[term] * math.log(1.0 + (units - count + 0.5) / (count + 0.5))
        for term, count in Counter(term for terms in held for term in terms).items()
    }
    if not raw:
        return {}
    mean = sum(raw.values()) / len(raw)
    return {term: value / mean for term, value in raw.items()}
