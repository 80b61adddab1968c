"""Turning a whole-file block into the file's new lines: elisions filled from the old file."""

from __future__ import annotations

from workers.pipeline.edits.elision import is_elision
from workers.pipeline.edits.line_diff import patience_opcodes
from workers.pipeline.edits.splice import NewLine
from workers.pipeline.edits.types import EditRefused, RefusalKind

# A block this much shorter than the file, keeping neither its first nor its last lines,
# is an excerpt the model quoted or lost track of, not the whole file.
_EXCERPT_RATIO = 0.5
_EDGE = 3
_MIN_LINES = 10
# Unchanged lines next to an elision that must pin it down, and the most lines a block
# with elisions may drop elsewhere.
_CONTEXT = 6
_MAX_DROP = 6


def _equal_map(old: list[str], new: list[str]) -> tuple[dict[int, int], list]:
    """new index -> old index for the lines a line diff pairs up, and the opcodes."""
    old_keys = [line.rstrip() for line in old]
    present = set(old_keys)
    # An elision pairs with nothing, unless the file really has that line (a `...` stub).
    new_keys = [
        "\0..." if is_elision(line) and line.rstrip() not in present else line.rstrip()
        for line in new
    ]
    pairs = {}
    opcodes = patience_opcodes(old_keys, new_keys)
    for tag, i1, _, j1, j2 in opcodes:
        if tag == "equal":
            pairs.update({j1 + k: i1 + k for k in range(j2 - j1)})
    return pairs, opcodes


def _is_excerpt(old: list[str], new: list[str]) -> bool:
    if len(old) < _MIN_LINES or len(new) >= len(old) * _EXCERPT_RATIO:
        return False
    head = {line.strip() for line in old[:_EDGE] if line.strip()}
    tail = {line.strip() for line in old[-_EDGE:] if line.strip()}
    kept = {line.strip() for line in new}
    return not (head & kept) and not (tail & kept)


def is_quotation(old: list[str], new: list[str]) -> bool:
    """The block repeats a stretch of the file unchanged: quoted code, not an edit."""
    size = len(new)
    if not size or size >= len(old):
        return False
    wanted = [line.rstrip() for line in new]
    stripped = [line.rstrip() for line in old]
    return any(stripped[i : i + size] == wanted for i in range(len(old) - size + 1))


def _occurrences(keys: list[str], run: list[str]) -> int:
    size = len(run)
    return sum(1 for i in range(len(keys) - size + 1) if keys[i : i + size] == run)


def _check_elisions(old_keys: list[str], new_keys: list[str], opcodes, markers: list[int]) -> None:
    """Refuse elisions whose extent is a guess.

    The unchanged lines right before and after an elision fix where it starts and ends,
    so they must occur once in the file; and a block that elides must not also drop a
    long stretch elsewhere, which is what a wrong alignment of repeated lines looks like.
    """
    equal = set()
    for tag, _, _, j1, j2 in opcodes:
        if tag == "equal":
            equal.update(range(j1, j2))
    for j in markers:
        before = [k for k in range(max(0, j - _CONTEXT), j) if all(m in equal for m in range(k, j))]
        after = [
            k
            for k in range(j + 1, min(len(new_keys), j + 1 + _CONTEXT))
            if all(m in equal for m in range(j + 1, k + 1))
        ]
        for run in (before, after):
            context = [new_keys[k] for k in run]
            if run and (not any(context) or _occurrences(old_keys, context) != 1):
                raise EditRefused(
                    RefusalKind.ELISION,
                    f"the unchanged lines next to {new_keys[j] or '...'!r} (line {j + 1} of the "
                    "block) occur more than once in the file, so what it stands for is "
                    "unclear; keep more unchanged lines around it",
                )
    for tag, i1, i2, j1, j2 in opcodes:
        if tag in ("delete", "replace") and not any(j1 <= j < j2 for j in markers):
            dropped = sum(1 for key in old_keys[i1:i2] if key)
            if dropped > max(_MAX_DROP, 2 * (j2 - j1)):
                raise EditRefused(
                    RefusalKind.ELISION,
                    f"the block elides code with '...' and also drops {dropped} lines near its "
                    f"line {j1 + 1}; write the file out in full or use SEARCH/REPLACE blocks",
                )


def expand_whole_file(old: list[str], new: list[str]) -> list[NewLine]:
    """The file's new lines, each naming the old line it keeps (for its line ending)."""
    pairs, opcodes = _equal_map(old, new)
    present = {line.rstrip() for line in old}
    markers = [j for j, line in enumerate(new) if is_elision(line) and line.rstrip() not in present]
    if markers:
        _check_elisions(
            [line.rstrip() for line in old], [line.rstrip() for line in new], opcodes, markers
        )
    out: list[NewLine] = []
    for tag, i1, i2, j1, j2 in opcodes:
        for j in range(j1, j2):
            if tag == "equal":
                out.append((old[pairs[j]], pairs[j]))
            elif j not in markers:
                out.append((new[j], None))
            elif j2 - j1 == 1:
                out.extend((old[i], i) for i in range(i1, i2))
            else:
                raise EditRefused(
                    RefusalKind.ELISION,
                    f"cannot tell which lines {new[j].strip()!r} (line {j + 1} of the block) "
                    "stands for; keep an unchanged line on each side of it, or write the "
                    "file out in full",
                )
    if _is_excerpt(old, [text for text, _ in out]):
        raise EditRefused(
            RefusalKind.MALFORMED,
            f"the block has {len(new)} lines and keeps neither the start nor the end of the "
            f"{len(old)}-line file, so it reads as an excerpt, not the whole file; use a "
            "SEARCH/REPLACE block for a partial change",
        )
    return out
