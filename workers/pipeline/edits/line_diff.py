"""Line alignment by patience diff: anchored on lines that occur once on each side.

difflib pairs the longest common runs first, so a short run that repeats through a file
(`return x` and a blank line) may pair with the wrong copy far away; anchoring on unique
lines first, as git's patience diff does, keeps such runs next to their neighbours.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter

Opcode = tuple[str, int, int, int, int]


def _increasing_run(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of (i, j) pairs, sorted by j, whose i also increases."""
    tails: list[int] = []  # tails[k]: smallest i ending an increasing run of length k+1
    tail_index: list[int] = []
    back: list[int] = []
    for index, (i, _) in enumerate(pairs):
        k = bisect.bisect_left(tails, i)
        if k == len(tails):
            tails.append(i)
            tail_index.append(index)
        else:
            tails[k] = i
            tail_index[k] = index
        back.append(tail_index[k - 1] if k else -1)
    run = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    return run[::-1]


def _match(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int, out: list) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        out.append((alo, blo))
        alo, blo = alo + 1, blo + 1
    suffix = []
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        suffix.append((ahi, bhi))
    if alo < ahi and blo < bhi:
        count_a = Counter(a[alo:ahi])
        count_b = Counter(b[blo:bhi])
        where_a = {a[i]: i for i in range(alo, ahi) if count_a[a[i]] == 1}
        pairs = [
            (where_a[b[j]], j) for j in range(blo, bhi) if count_b[b[j]] == 1 and b[j] in where_a
        ]
        anchors = _increasing_run(pairs)
        if anchors:
            i0, j0 = alo, blo
            for i, j in anchors:
                _match(a, b, i0, i, j0, j, out)
                out.append((i, j))
                i0, j0 = i + 1, j + 1
            _match(a, b, i0, ahi, j0, bhi, out)
        else:
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for block in matcher.get_matching_blocks():
                out.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
    out.extend(reversed(suffix))


def patience_opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """difflib-style opcodes (equal/replace/delete/insert) turning `a` into `b`."""
    pairs: list[tuple[int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), pairs)
    opcodes: list[Opcode] = []
    i = j = 0
    for pi, pj in [*pairs, (len(a), len(b))]:
        if pi > i or pj > j:
            tag = "replace" if pi > i and pj > j else ("delete" if pi > i else "insert")
            opcodes.append((tag, i, pi, j, pj))
        if pi < len(a) and pj < len(b):
            if opcodes and opcodes[-1][0] == "equal" and opcodes[-1][2] == pi:
                _, i1, _, j1, _ = opcodes[-1]
                opcodes[-1] = ("equal", i1, pi + 1, j1, pj + 1)
            else:
                opcodes.append(("equal", pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return opcodes
