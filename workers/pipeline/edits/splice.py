"""Carrying a block's SEARCH -> REPLACE change over to the file lines it was matched to.

Lines the change keeps come from the file itself (its whitespace, its indentation, the
lines an elision or a dropped blank line stood for); only new lines come from the model,
re-indented by the shift the match found and without the trailing blanks it added.
"""

from __future__ import annotations

import difflib

from workers.pipeline.edits.blank_runs import KEPT, LEFT_OUT, count_blank_edge, place_blanks
from workers.pipeline.edits.elision import is_elision
from workers.pipeline.edits.matching import TAB_WIDTH, Placement, indent_width

NewLine = tuple[str, int | None]  # text, and the file line whose ending it keeps
Opcode = tuple[str, int, int, int, int]


class SpliceError(Exception):
    pass


def _keys(block: list[str], elided: bool) -> list[str]:
    # Elisions compare equal whatever their spelling, so "..." in SEARCH pairs with
    # "# ..." in REPLACE.
    return ["\0..." if elided and is_elision(line) else line.rstrip() for line in block]


def block_opcodes(search: list[str], replace: list[str], elided: bool = True) -> list[Opcode]:
    """How REPLACE differs from SEARCH, line by line.

    Blank lines both sides start (or end) with pair first: they are the same lines, not
    ones from the other side's middle. Then common leading and trailing lines pair (as
    diff tools do) and difflib aligns the rest.
    """
    a, b = _keys(search, elided), _keys(replace, elided)
    lead = min(count_blank_edge(a, False), count_blank_edge(b, False))
    trail = min(count_blank_edge(a[lead:], True), count_blank_edge(b[lead:], True))
    if lead or trail:
        inner = block_opcodes(search[lead : len(a) - trail], replace[lead : len(b) - trail], elided)
        out: list[Opcode] = [("equal", 0, lead, 0, lead)] if lead else []
        out += [(t, i1 + lead, i2 + lead, j1 + lead, j2 + lead) for t, i1, i2, j1, j2 in inner]
        if trail:
            out.append(("equal", len(a) - trail, len(a), len(b) - trail, len(b)))
        return out
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(
        None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False
    ).get_opcodes()
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle]
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return [op for op in ops if op[2] > op[1] or op[4] > op[3]]


def changed_lines(search: list[str], replace: list[str]) -> frozenset[int]:
    """SEARCH lines the change removes or rewrites."""
    return frozenset(
        index
        for tag, i1, i2, _, _ in block_opcodes(search, replace)
        if tag != "equal"
        for index in range(i1, i2)
    )


def _render_indent(width: int, tabs: bool) -> str:
    if tabs:
        return "\t" * (width // TAB_WIDTH) + " " * (width % TAB_WIDTH)
    return " " * width


def _indents_with_spaces(lines: list[str]) -> bool:
    """The file indents with spaces only (so a tab-indented new line is a model slip)."""
    starts = {line[0] for line in lines if line[:1] in (" ", "\t") and line.strip()}
    return starts == {" "}


def convert_line(line: str, placement: Placement, spaces_only: bool = False) -> str:
    """A model-written line as it must appear in this file."""
    if placement.strip_trailing:
        line = line.rstrip()
    if not placement.reindent:
        if spaces_only and line.startswith("\t") and line.strip():
            return _render_indent(indent_width(line), False) + line.lstrip(" \t")
        return line
    if not line.strip():
        return ""
    width = indent_width(line) + placement.delta
    if width < 0:
        raise SpliceError(
            f"the line {line.strip()!r} would need negative indentation after the block's "
            f"indentation is shifted by {placement.delta}"
        )
    return _render_indent(width, placement.tabs) + line.lstrip(" \t")


def _check_open_elisions(placement: Placement, search: list[str], opcodes: list[Opcode]) -> None:
    """Changes beyond an elision with no matched line on its far side cannot be placed."""
    if not placement.elided:
        return
    markers = [i for i, line in enumerate(search) if is_elision(line)]
    lead = [m for m in markers if m < placement.first_anchor]
    trail = [m for m in markers if m > placement.last_anchor]
    for tag, i1, i2, _, _ in opcodes:
        if tag == "equal":
            continue
        if (lead and (i1 < max(lead) or (tag == "insert" and i1 <= max(lead)))) or (
            trail and i2 > min(trail) + (tag != "insert")
        ):
            raise SpliceError(
                "the change sits beyond a '...' with no unchanged line after it, so where "
                "it goes is unclear; end the block with an unchanged line"
            )


def splice(
    lines: list[str], placement: Placement, search: list[str], replace: list[str]
) -> list[NewLine]:
    """The lines that replace lines[placement.start:placement.end]."""
    out: list[NewLine] = []
    tags: list[int] = []  # per out line: KEPT, or LEFT_OUT (a blank line SEARCH omitted)
    ranges, gaps = placement.ranges, list(placement.gaps)
    spaces_only = _indents_with_spaces(lines)

    def keep(span: tuple[int, int], tag: int = KEPT) -> None:
        out.extend((lines[pos], pos) for pos in range(*span))
        tags.extend([tag] * (span[1] - span[0]))

    def keep_gap(index: int) -> None:
        keep(gaps[index], LEFT_OUT)

    def fresh(new: list[str]) -> None:
        out.extend((convert_line(line, placement, spaces_only), None) for line in new)
        tags.extend([KEPT] * len(new))

    opcodes = block_opcodes(search, replace, placement.elided)
    _check_open_elisions(placement, search, opcodes)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for index in range(i1, i2):
                keep_gap(index)
                keep(ranges[index])
            continue
        elided = [i for i in range(i1, i2) if placement.elided and is_elision(search[i])]
        if elided and not (tag == "delete" and _enclosed(elided, i1, i2)):
            raise SpliceError(
                "SEARCH elides lines with '...' that REPLACE does not keep; keep the same "
                "'...' line in REPLACE, or write the lines out"
            )
        if tag == "insert":
            new = replace[j1:j2]
            below = place_blanks(lines, out, tags, search, ranges, gaps, i1, new)
            fresh(new)
            for pos in below:
                keep((pos, pos + 1), LEFT_OUT)
            continue
        if (
            tag == "replace"
            and i2 - i1 != j2 - j1
            and any(gaps[i][1] > gaps[i][0] for i in range(i1 + 1, i2))
        ):
            raise SpliceError(
                "the file has blank lines inside the replaced lines that SEARCH leaves "
                "out, so where they belong in REPLACE is unclear; copy SEARCH exactly"
            )
        keep_gap(i1)
        if tag == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                if offset:
                    keep_gap(i1 + offset)
                fresh([replace[j1 + offset]])
        elif tag == "replace":
            fresh(replace[j1:j2])
    return out


def _enclosed(elided: list[int], i1: int, i2: int) -> bool:
    """A deleted run may swallow an elision only between deleted lines of its own."""
    return min(elided) > i1 and max(elided) < i2 - 1
