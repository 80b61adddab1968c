"""Fixes as review suggestions: which lines GitHub takes, and the comments that express a fix."""

from __future__ import annotations

import difflib

from workers.github.port import PullFile
from workers.pipeline.publish.suggestions import (
    commentable_lines,
    plan_suggestions,
    suggestion_body,
)

BASE = "".join(f"line {n}\n" for n in range(1, 41))


def _patch(old: str, new: str) -> str:
    """GitHub's `patch`: the file's hunks with three lines of context and no header."""
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=3)
    return "".join(list(lines)[2:])


def _edit(text: str, **replacements: str) -> str:
    for number, value in replacements.items():
        text = text.replace(f"line {number.removeprefix('l')}\n", value)
    return text


# The PR rewrote line 10 and line 30: two hunks, RIGHT lines 7-13 and 27-33.
HEAD = _edit(BASE, l10="buggy ten\n", l30="buggy thirty\n")
FILES = [PullFile("a.py", "modified", _patch(BASE, HEAD))]


def _plan(new: str, files=FILES, head=HEAD):
    return plan_suggestions(files, {"a.py": head}, {"a.py": new})


def test_commentable_lines_are_the_right_side_of_each_hunk() -> None:
    lines = commentable_lines(FILES[0].patch)
    assert sorted(lines) == [*range(7, 14), *range(27, 34)]
    assert lines[7] == lines[13] == 0 and lines[27] == 1
    assert commentable_lines(None) == {} and commentable_lines("") == {}


def test_single_line_replacement() -> None:
    plan = _plan(HEAD.replace("buggy ten\n", "fixed ten\n"))
    assert plan.fits
    [comment] = plan.comments
    assert (comment.path, comment.start_line, comment.line, comment.side) == ("a.py", None, 10, "RIGHT")
    assert comment.body == "```suggestion\nfixed ten\n```"


def test_multi_line_replacement_spans_start_line_to_line() -> None:
    new = HEAD.replace("line 9\nbuggy ten\nline 11\n", "nine\nten\n")
    [comment] = _plan(new).comments
    assert (comment.start_line, comment.line) == (9, 11)
    assert comment.body == "```suggestion\nnine\nten\n```"


def test_two_changes_in_two_hunks_give_two_comments() -> None:
    new = HEAD.replace("buggy ten\n", "ten\n").replace("buggy thirty\n", "thirty\n")
    plan = _plan(new)
    assert [(c.line, c.body) for c in plan.comments] == [
        (10, "```suggestion\nten\n```"), (30, "```suggestion\nthirty\n```")]


def test_insertion_is_anchored_on_the_line_before() -> None:
    new = HEAD.replace("buggy ten\n", "buggy ten\nguard()\n")
    [comment] = _plan(new).comments
    assert (comment.start_line, comment.line) == (None, 10)
    assert comment.body == "```suggestion\nbuggy ten\nguard()\n```"


def test_insertion_uses_the_line_after_when_the_line_before_is_outside() -> None:
    # Inserting after line 26 (outside) and before line 27 (the hunk's first line).
    new = HEAD.replace("line 27\n", "guard()\nline 27\n")
    [comment] = _plan(new).comments
    assert comment.line == 27
    assert comment.body == "```suggestion\nguard()\nline 27\n```"


def test_insertion_at_the_top_of_a_new_hunk_line_one() -> None:
    head = "first\n" + BASE
    files = [PullFile("a.py", "modified", _patch(BASE, head))]
    [comment] = _plan("import os\n" + head, files, head).comments
    assert comment.line == 1
    assert comment.body == "```suggestion\nimport os\nfirst\n```"


def test_deletion_is_an_empty_suggestion() -> None:
    new = HEAD.replace("line 11\nline 12\n", "")
    [comment] = _plan(new).comments
    assert (comment.start_line, comment.line) == (11, 12)
    assert comment.body == "```suggestion\n```"


def test_a_change_outside_the_diff_is_not_expressible() -> None:
    plan = _plan(HEAD.replace("buggy ten\n", "ten\n").replace("line 20\n", "twenty\n"))
    assert not plan.fits and "line 20" in plan.reason and plan.comments == []


def test_a_span_across_two_hunks_is_not_expressible() -> None:
    head = _edit(BASE, l10="ten!\n", l18="eighteen!\n")  # hunks 7-13 and 15-21
    files = [PullFile("a.py", "modified", _patch(BASE, head))]
    new = head.replace("line 12\nline 13\nline 14\nline 15\nline 16\n", "merged\n")
    assert not _plan(new, files, head).fits


def test_new_and_deleted_files_are_not_expressible() -> None:
    assert "new file" in plan_suggestions(FILES, {"b.py": None}, {"b.py": "x\n"}).reason
    assert "deleted" in plan_suggestions(FILES, {"a.py": HEAD}, {"a.py": None}).reason


def test_a_file_the_pull_request_does_not_touch_is_not_expressible() -> None:
    plan = plan_suggestions(FILES, {"z.py": "x\n"}, {"z.py": "y\n"})
    assert "not part of the pull request" in plan.reason


def test_a_binary_or_huge_file_without_patch_is_not_expressible() -> None:
    files = [PullFile("a.py", "modified", None)]
    assert not _plan(HEAD.replace("buggy ten\n", "ten\n"), files).fits


def test_final_newline_changes_are_not_expressible() -> None:
    assert not _plan(HEAD.removesuffix("\n")).fits


def test_overlapping_anchors_are_never_posted_twice() -> None:
    # Two insertions around line 10: each anchors on its own neighbour, and no line gets two
    # suggestions (GitHub would apply them over each other).
    new = HEAD.replace("line 9\nbuggy ten\nline 11\n", "line 9\nA\nbuggy ten\nB\nline 11\n")
    plan = _plan(new)
    lines = [(c.start_line or c.line, c.line) for c in plan.comments]
    assert plan.fits
    covered = [n for first, last in lines for n in range(first, last + 1)]
    assert len(covered) == len(set(covered))


def test_no_change_is_nothing_to_suggest() -> None:
    assert not _plan(HEAD).fits


def test_suggestion_fence_outgrows_backticks_in_the_code() -> None:
    body = suggestion_body(['doc = """```python\n', 'x\n'])
    assert body.startswith("````suggestion\n") and body.endswith("\n````")
    assert suggestion_body(["no newline"]) == "```suggestion\nno newline\n```"
