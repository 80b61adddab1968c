"""The pure parts of a review follow-up: counting rounds, finding the pushed commit, threads, replies."""

from __future__ import annotations

from workers.github.port import GitCommit, ReviewComment
from workers.pipeline.publish.followup import (
    commit_for_review,
    followup_marker,
    followup_rounds,
    render_pushed_reply,
    render_unusable_reply,
    review_threads,
    root_cause_in,
)

TRAILER = "Generated-by: iquest-autofix"


def _commit(sha: str, message: str) -> GitCommit:
    return GitCommit(sha=sha, tree_sha="t", message=message)


COMMITS = [
    _commit("a", f"Fix #1: x\n\nFirst.\n\n{TRAILER}\n"),
    _commit("b", f"Address review on #2\n\nAdd adds.\n\nIquest-Review: 77\n{TRAILER}\n"),
    _commit("c", f"Address review on #2\n\nMore.\n\nIquest-Review: 78\n{TRAILER}\n"),
]


def test_rounds_count_only_follow_up_commits() -> None:
    assert followup_rounds(COMMITS) == 2
    assert followup_rounds(COMMITS[:1]) == 0


def test_the_commit_for_a_review_and_its_root_cause() -> None:
    found = commit_for_review(COMMITS, 77)
    assert found is not None and found.sha == "b"
    assert root_cause_in(found) == "Add adds."
    assert commit_for_review(COMMITS, 99) is None
    assert root_cause_in(_commit("d", "Title only")) == ""


def _comment(cid: int, reply_to: int | None = None) -> ReviewComment:
    return ReviewComment(id=cid, body="", author="alice", path="a.py", line=1, in_reply_to_id=reply_to)


def test_threads_are_the_first_comments_once_each_in_order() -> None:
    assert review_threads([_comment(5), _comment(9, reply_to=3), _comment(6, reply_to=5)]) == [5, 3]


def test_replies_carry_the_thread_marker_and_no_command_line() -> None:
    pushed = render_pushed_reply(77, 5, "[`abc`](u)", "/iquest fix\nAdd adds.")
    assert pushed.startswith(followup_marker(77, 5)) and "[`abc`](u)" in pushed
    unusable = render_unusable_reply(77, 5, "the edits did not apply.")
    assert "pushed nothing: the edits did not apply." in unusable
    for body in (pushed, unusable):
        assert not any(line.startswith("/iquest") for line in body.splitlines())
