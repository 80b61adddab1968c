"""The posted diff is rendered from the files and proved by parsing it back."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import unidiff

from workers.pipeline.edits.diffs import DiffMismatch, render_diff, verify_diff


@dataclass(frozen=True)
class Change:
    path: str
    old: bytes | None
    new: bytes | None


CASES = [
    Change("a.py", b"x = 1\ny = 2\nz = 3\n", b"x = 1\ny = 20\nz = 3\n"),
    Change("crlf.py", b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\nd\r\n"),
    Change("no_eol.py", b"a\nb", b"a\nb\nc"),
    Change("gets_eol.py", b"a", b"a\n"),
    Change("new/file.py", None, b"print(1)\n"),
    Change("gone.py", b"x\n", None),
    Change("latin1.txt", b"caf\xe9\n", b"caf\xe9!\n"),
]


def test_render_then_parse_back_reproduces_every_change():
    diff = render_diff(CASES)
    verify_diff(diff, CASES)
    parsed = unidiff.PatchSet(diff)
    assert [p.path for p in parsed] == sorted(c.path for c in CASES)
    assert "\\ No newline at end of file" in diff
    added = {p.path for p in parsed if p.is_added_file}
    removed = {p.path for p in parsed if p.is_removed_file}
    assert added == {"new/file.py"} and removed == {"gone.py"}


def test_headers_are_git_style():
    diff = render_diff([CASES[0]])
    assert diff.splitlines()[:4] == [
        "diff --git a/a.py b/a.py",
        "--- a/a.py",
        "+++ b/a.py",
        "@@ -1,3 +1,3 @@",
    ]


def test_a_diff_that_does_not_reproduce_the_files_is_caught():
    diff = render_diff([CASES[0]])
    tampered = Change("a.py", CASES[0].old, b"x = 1\ny = 21\nz = 3\n")
    with pytest.raises(DiffMismatch):
        verify_diff(diff, [tampered])
    with pytest.raises(DiffMismatch):
        verify_diff(diff, [CASES[0], CASES[2]])


def test_patience_alignment_rebuilds_the_second_sequence_and_keeps_unique_anchors():
    import random

    from workers.pipeline.edits.line_diff import patience_opcodes

    for seed in range(300):
        rng = random.Random(seed)
        a = [rng.choice("abcde ") for _ in range(rng.randrange(25))]
        b = [rng.choice("abcdef ") for _ in range(rng.randrange(25))]
        rebuilt, i, j = [], 0, 0
        for tag, i1, i2, j1, j2 in patience_opcodes(a, b):
            assert (i1, j1) == (i, j)
            if tag == "equal":
                assert a[i1:i2] == b[j1:j2]
            rebuilt += b[j1:j2]
            i, j = i2, j2
        assert (i, j) == (len(a), len(b)) and rebuilt == b
    # A short repeated run pairs with the copy next to its unique neighbour, not the first.
    old = ["f():", "x", "ret", "g():", "x", "ret", "h():"]
    new = ["f():", "x", "ret", "g():", "y", "x", "ret", "h():"]
    ops = patience_opcodes(old, new)
    assert ("insert", 4, 4, 4, 5) in ops
