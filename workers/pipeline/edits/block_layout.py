"""How a matched block lies over the file: per block line, the file lines it stands for.

A block line matches one file line, or none (a blank line the file lacks), or a run of
lines (an elision); file lines between matched ones that the block left out (blank lines)
are kept as gaps in front of the next block line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.pipeline.edits.elision import is_elision


@dataclass
class BlockPattern:
    """The block's lines that must match (index, key), split at elisions."""

    segments: list[list[tuple[int, str]]]
    markers: set[int]


def make_pattern(
    block: list[str], key: Callable[[str], str], skip: bool, elide: bool
) -> BlockPattern:
    segments: list[list[tuple[int, str]]] = [[]]
    markers = set()
    for index, line in enumerate(block):
        if elide and is_elision(line):
            markers.add(index)
            segments.append([])
        elif skip and not line.strip():
            continue
        else:
            segments[-1].append((index, key(line)))
    # After an elision a run of blank lines is no anchor: it would match the first blank
    # line anywhere below. Such lines are placed like blank lines the model dropped.
    kept = [seg for seg in segments if seg and (not elide or any(key.strip() for _, key in seg))]
    return BlockPattern(kept, markers)


def is_blank(line: str) -> bool:
    return not line.strip()


class LayoutBuilder:
    """Turns a chain of matched segments into per-line ranges and gaps."""

    def __init__(
        self, lines: list[str], block: list[str], pattern: BlockPattern, changed: frozenset[int]
    ) -> None:
        self.lines, self.block, self.pattern, self.changed = lines, block, pattern, changed

    def build(self, aligned: dict[int, int]) -> tuple[int, int, list, list]:
        block, lines = self.block, self.lines
        size = len(block)
        ranges: list[tuple[int, int] | None] = [None] * size
        gaps: list[tuple[int, int]] = [(0, 0)] * size
        order = sorted(aligned)
        for index in order:
            ranges[index] = (aligned[index], aligned[index] + 1)
        pos = aligned[order[0]]
        for index in range(order[0] - 1, -1, -1):  # lines above the first match
            take = self._is_blank_line(index) and pos > 0 and is_blank(lines[pos - 1])
            ranges[index] = (pos - 1, pos) if take else (pos, pos)
            pos -= take
        start = pos
        for left, right in zip(order, order[1:], strict=False):
            self._fill_between(left, right, aligned, ranges, gaps)
        pos = aligned[order[-1]] + 1
        for index in range(order[-1] + 1, size):  # lines below the last match
            take = self._is_blank_line(index) and pos < len(lines) and is_blank(lines[pos])
            ranges[index] = (pos, pos + 1) if take else (pos, pos)
            pos += take
        end = pos
        return start, end, ranges, gaps

    def _is_blank_line(self, index: int) -> bool:
        return index not in self.pattern.markers and is_blank(self.block[index])

    def _fill_between(self, left: int, right: int, aligned, ranges, gaps) -> None:
        lo, hi = aligned[left] + 1, aligned[right]
        between = list(range(left + 1, right))
        marker = next((index for index in between if index in self.pattern.markers), None)
        if marker is None:
            # Only blank lines on either side: pair them up, the file's extras form a gap.
            # With more blank lines than the file has, a blank line the change removes
            # must be one of the file's; the spare ones are context the model added.
            order = sorted(between, key=lambda index: (index not in self.changed, index))
            paired = set(order[: hi - lo])
            pos = lo
            for index in between:
                take = index in paired
                ranges[index] = (pos, pos + 1) if take else (pos, pos)
                pos += take
            gaps[right] = (pos, hi)
            return
        pos = lo
        for index in between[: between.index(marker)]:
            take = pos < hi and is_blank(self.lines[pos])
            ranges[index] = (pos, pos + 1) if take else (pos, pos)
            pos += take
        top = hi
        for index in reversed(between[between.index(marker) + 1 :]):
            take = index not in self.pattern.markers and top > pos and is_blank(self.lines[top - 1])
            ranges[index] = (top - 1, top) if take else (top, top)
            top -= take
        ranges[marker] = (pos, top)
