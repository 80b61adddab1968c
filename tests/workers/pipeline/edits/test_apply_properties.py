"""Property: a diff or SEARCH/REPLACE response made from two files turns the first into the
second exactly (or, where lines repeat so much that the place is unclear, is refused)."""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workers.pipeline.edits.edit_helpers import apply_response, lay_out, sr_block
from workers.pipeline.edits.types import EditRefused, RefusalKind

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Distinct lines (each non-blank line is numbered when drawn), with the blank lines and
# indentation real code has.
UNIQUE_LINE = st.one_of(
    st.just(""), st.sampled_from(["", "    ", "        "]).map(lambda x: x + "\0")
)
# A handful of lines that repeat, so that blocks often match in several places.
REPEATED_LINE = st.sampled_from(["", "    return x", "x = 1", "    pass", "# note", "y = 2"])


@st.composite
def file_pairs(draw, line):
    """(before, after, eol, final newline): after is before with random edits."""
    counter = iter(range(10**6))

    def draw_lines(min_size: int, max_size: int) -> list[str]:
        texts = draw(st.lists(line, min_size=min_size, max_size=max_size))
        return [_number(text, counter) for text in texts]

    before = draw_lines(1, 30)
    after = list(before)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(after)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert" or not after:
            after[at:at] = draw_lines(1, 4)
        elif action == "delete":
            del after[min(at, len(after) - 1)]
        else:
            after[min(at, len(after) - 1)] = draw_lines(1, 1)[0]
    if after == before:
        after.append(draw_lines(1, 1)[0] + "  # changed")
    # Without a final newline a last blank line could not be told from a final newline.
    final = draw(st.booleans()) or before[-1] == "" or (not after or after[-1] == "")
    # A one-line file without a final newline has no line ending to keep.
    eol = draw(st.sampled_from(["\n", "\r\n"])) if len(before) > 1 or final else "\n"
    return before, after, eol, final


def _number(text: str, counter) -> str:
    return text.replace("\0", f"line_{next(counter)} = 1") if "\0" in text else text


def _text(lines: list[str], eol: str, final: bool) -> bytes:
    body = eol.join(lines)
    return (body + (eol if final and lines else "")).encode()


def _diff(before: list[str], after: list[str]) -> str:
    lines = difflib.unified_diff(
        [x + "\n" for x in before], [x + "\n" for x in after], "a/m.py", "b/m.py", n=3
    )
    return "```diff\n" + "".join(lines) + "```\n"


def _search_replace(before: list[str], after: list[str]) -> str:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    blocks = []
    for group in matcher.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        search = "".join(x + "\n" for x in before[i1:i2])
        replace = "".join(x + "\n" for x in after[j1:j2])
        blocks.append(sr_block("m.py", search, replace))
    return "\n".join(blocks)


def _outcome(pair, make_response) -> str:
    before, after, eol, final = pair
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lay_out(root, {"m.py": _text(before, eol, final)})
        try:
            apply_response(root, make_response(before, after))
        except EditRefused as refusal:
            assert (root / "m.py").read_bytes() == _text(before, eol, final)
            return refusal.kind.value
        got = (root / "m.py").read_bytes()
    assert got == _text(after, eol, final)
    return "applied"


def _usable(pair) -> bool:
    before, after, _, _ = pair
    # A search block with no text in it cannot be placed; that is not what is tested here.
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return all(
        any(x.strip() for x in before[g[0][1] : g[-1][2]]) for g in matcher.get_grouped_opcodes(3)
    )


@SETTINGS
@given(file_pairs(UNIQUE_LINE))
def test_unified_diff_applies_back_to_the_second_file(pair):
    if _usable(pair):
        assert _outcome(pair, _diff) == "applied"


@SETTINGS
@given(file_pairs(UNIQUE_LINE))
def test_search_replace_applies_back_to_the_second_file(pair):
    if _usable(pair):
        assert _outcome(pair, _search_replace) == "applied"


@SETTINGS
@given(file_pairs(REPEATED_LINE))
def test_repetitive_files_apply_exactly_or_are_refused_as_ambiguous(pair):
    if _usable(pair):
        for make_response in (_diff, _search_replace):
            assert _outcome(pair, make_response) in ("applied", RefusalKind.AMBIGUOUS.value)
