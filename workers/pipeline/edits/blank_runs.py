"""Where blank lines the model did not write go, around lines it inserts next to them.

Blank lines outside a block are left alone: the model never saw them, and its new lines
go exactly where it wrote them. Blank lines inside a block that its SEARCH left out
(found only when matching ignores blank lines) are lines the model forgot: either side
of the new lines could be meant, so the split that leaves the runs of blank lines above
and below closest in size wins (blank lines separate code in balanced runs), then see
_joins_code_above.
"""

from __future__ import annotations

import re

from workers.pipeline.edits.matching import indent_width

KEPT, LEFT_OUT = 0, 1  # output line tags: LEFT_OUT is a blank line SEARCH omitted
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def count_blank_edge(texts: list[str], from_end: bool) -> int:
    count = 0
    for text in reversed(texts) if from_end else texts:
        if text.strip():
            break
        count += 1
    return count


def _lead_token(text: str) -> str:
    match = _TOKEN.match(text.strip())
    return match.group(0) if match else text.strip()[:1]


def _joins_code_above(new: list[str], preceding: str | None, following: str | None) -> bool:
    """Whether new lines belong with the code above them rather than the code below.

    Deeper than the line below: they continue the block above. A comment or decorator
    below introduces the code after it, so it is not split from it. Otherwise the new
    lines go with the neighbour that starts the same way (`import x` beside `import y`),
    and with the code above when nothing tells.
    """
    if following is None or preceding is None:
        return following is None
    first = next(text for text in new if text.strip())
    if indent_width(first) > indent_width(following):
        return True
    marks = ("#", "//", "@")
    if following.lstrip().startswith(marks) and not first.lstrip().startswith(marks):
        return True
    like_above = _lead_token(first) == _lead_token(preceding)
    like_below = _lead_token(first) == _lead_token(following)
    return like_above or not like_below


def place_blanks(lines, out, tags, search, ranges, gaps, index, new) -> list[int]:
    """Settle the left-out blank lines around lines inserted before block line `index`.

    Those going above are appended to `out` now; the file line numbers of those going
    below are returned for the caller to write after the new lines. `gaps` entries used
    here are emptied.
    """
    if all(not text.strip() for text in new):
        return []
    left_out: list[int] = []
    tail = len(out)
    while tail and not out[tail - 1][0].strip():
        tail -= 1
    left_out = [out[p][1] for p in range(tail, len(out)) if tags[p] == LEFT_OUT]
    kept = [p for p in range(tail, len(out)) if tags[p] != LEFT_OUT]
    above = len(kept) + count_blank_edge(new, False)
    out[tail:] = [out[p] for p in kept]
    tags[tail:] = [tags[p] for p in kept]
    below = count_blank_edge(new, True)
    following = None
    for k in range(index, len(search)):
        left_out.extend(range(*gaps[k]))
        gaps[k] = (gaps[k][0], gaps[k][0])
        if search[k].strip():
            if ranges[k][1] > ranges[k][0]:
                following = lines[ranges[k][0]]
            break
        below += ranges[k][1] - ranges[k][0]
    if not left_out:
        return []
    preceding = next((text for text, _ in reversed(out) if text.strip()), None)
    joins_above = _joins_code_above(new, preceding, following)

    def cost(count: int) -> tuple[int, int]:
        balance = abs((above + count) - (below + len(left_out) - count))
        return balance, count if joins_above else -count

    split = min(range(len(left_out) + 1), key=cost)
    out.extend((lines[pos], pos) for pos in left_out[:split])
    tags.extend([KEPT] * split)
    return left_out[split:]
