"""Locating a block of lines in a file: exact first, then only the known model mistakes.

Levels, strictest first; the first level that finds anything decides, and finding two
places there is a refusal (never a guess), unless a diff's line number names one:

  exact -> trailing whitespace ignored -> indentation shifted by a constant amount
  (tabs read as four columns), each first with blank lines as written and then with
  blank lines ignored (models drop or add them); with `...` elisions as wildcards last.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from workers.pipeline.edits.block_layout import BlockPattern, LayoutBuilder, is_blank, make_pattern
from workers.pipeline.edits.elision import is_elision

TAB_WIDTH = 4
# A diff's line number picks one of several equal places only if it is this close.
HINT_TOLERANCE = 3


class Level(enum.Enum):
    EXACT = "exact"
    TRAILING_WS = "trailing whitespace ignored"
    INDENT = "indentation shifted"


_KEYS: dict[Level, Callable[[str], str]] = {
    Level.EXACT: lambda line: line,
    Level.TRAILING_WS: str.rstrip,
    Level.INDENT: str.strip,
}


def indent_width(line: str) -> int:
    stripped = line.lstrip(" \t")
    return len(line[: len(line) - len(stripped)].expandtabs(TAB_WIDTH))


@dataclass
class Placement:
    """Where a block sits: per block line, the file lines it stands for, and the file
    lines (blank lines the block left out) sitting just before it."""

    start: int
    end: int
    ranges: list[tuple[int, int]]
    gaps: list[tuple[int, int]]
    level: Level
    skip_blanks: bool
    elided: bool
    delta: int = 0
    tabs: bool = False
    reindent: bool = False
    strip_trailing: bool = False
    # First and last block lines matched to a file line; an elision outside them has an
    # open end, so nothing can be placed beyond it.
    first_anchor: int = 0
    last_anchor: int = 0
    # Where the block's first matched line is (what a diff's line number refers to).
    anchor_line: int = 0


class NotFound(Exception):
    pass


class Ambiguous(Exception):
    def __init__(self, starts: list[int]) -> None:
        super().__init__(starts)
        self.starts = starts


def _occurrences(keys: list[str], segment: list[tuple[int, str]], begin: int = 0) -> list[int]:
    wanted = [key for _, key in segment]
    first, size = wanted[0], len(wanted)
    found = []
    for pos in range(begin, len(keys) - size + 1):
        if keys[pos] == first and keys[pos : pos + size] == wanted:
            found.append(pos)
    return found


def _chains(keys: list[str], pattern: BlockPattern) -> list[list[int]]:
    """Start positions of every segment; after an elision the nearest next match is taken,
    and of chains ending at the same place the tightest one is kept."""
    by_end: dict[int, list[int]] = {}
    for first in _occurrences(keys, pattern.segments[0]):
        chain = [first]
        pos = first + len(pattern.segments[0])
        for segment in pattern.segments[1:]:
            nxt = _occurrences(keys, segment, pos)
            if not nxt:
                break
            chain.append(nxt[0])
            pos = nxt[0] + len(segment)
        else:
            end = chain[-1]
            if end not in by_end or by_end[end][0] < first:
                by_end[end] = chain
    return [by_end[end] for end in sorted(by_end)]


def _indent_facts(lines: list[str], block: list[str], aligned: dict[int, int]):
    """(delta, file uses tabs, block uses tabs, consistent) over matched non-blank lines."""
    deltas = set()
    file_tabs = block_tabs = False
    for index, pos in aligned.items():
        if is_blank(block[index]):
            continue
        deltas.add(indent_width(lines[pos]) - indent_width(block[index]))
        file_tabs |= lines[pos][: len(lines[pos]) - len(lines[pos].lstrip())].count("\t") > 0
        block_tabs |= block[index][: len(block[index]) - len(block[index].lstrip())].count("\t") > 0
    if len(deltas) > 1:
        return 0, file_tabs, block_tabs, False
    return (deltas.pop() if deltas else 0), file_tabs, block_tabs, True


def _candidates(lines, block, level, skip, elide, changed) -> list[Placement]:
    key = _KEYS[level]
    pattern = make_pattern(block, key, skip, elide)
    if not pattern.segments:
        return []
    positions = [i for i, line in enumerate(lines) if not (skip and is_blank(line))]
    keys = [key(lines[i]) for i in positions]
    found = []
    builder = LayoutBuilder(lines, block, pattern, changed)
    for chain in _chains(keys, pattern):
        aligned = {}
        for segment, begin in zip(pattern.segments, chain, strict=True):
            for offset, (index, _) in enumerate(segment):
                aligned[index] = positions[begin + offset]
        delta, file_tabs, block_tabs, consistent = _indent_facts(lines, block, aligned)
        if not consistent:
            continue
        start, end, ranges, gaps = builder.build(aligned)
        strip_trailing = any(
            block[i] != block[i].rstrip() and lines[p] == lines[p].rstrip()
            for i, p in aligned.items()
        )
        found.append(
            Placement(
                start,
                end,
                ranges,
                gaps,
                level,
                skip,
                elide,
                delta=delta,
                tabs=file_tabs,
                reindent=delta != 0 or file_tabs != block_tabs,
                strip_trailing=strip_trailing,
                first_anchor=min(aligned),
                last_anchor=max(aligned),
                anchor_line=aligned[min(aligned)] - min(aligned),
            )
        )
    return found


def _pick_by_hint(found: list[Placement], hint: int | None) -> Placement | None:
    if hint is None:
        return None
    near = [p for p in found if abs(p.anchor_line - hint) <= HINT_TOLERANCE]
    if len(near) == 1:
        return near[0]
    exact = [p for p in near if p.anchor_line == hint]
    return exact[0] if len(exact) == 1 else None


def locate(
    lines: list[str],
    block: list[str],
    hint: int | None = None,
    changed: frozenset[int] = frozenset(),
) -> Placement:
    """Find the one place in `lines` that `block` stands for.

    `hint` is a 0-based line where a diff says the block starts; it only chooses among
    equally good places, it never moves a block that matches in one place only.
    `changed` names the block lines the edit removes or rewrites (see _fill_between).
    """
    modes = [False, True] if any(is_elision(line) for line in block) else [False]
    for elide in modes:
        for skip in (False, True):
            for level in Level:
                found = _candidates(lines, block, level, skip, elide, changed)
                if not found:
                    continue
                if len(found) == 1:
                    return found[0]
                chosen = _pick_by_hint(found, hint)
                if chosen is not None:
                    return chosen
                raise Ambiguous([p.anchor_line for p in found])
    raise NotFound()
