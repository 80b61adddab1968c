"""A refused trigger answers on its own and leaves the status of the job before it as it was.

Real receiver, real Redis, real Celery worker, the fake GitHub and the scripted model server:
first a trigger that succeeds, then one by a user with too little permission on the same target.
"""

from __future__ import annotations

import pytest

from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import (
    ADD_FIX,
    PERCENT_FIX,
    REPO,
    deliver,
    model_reply,
    open_fork_pull,
    seed_calc,
    status_comment,
)

_REPLY = model_reply("`add` subtracts.", ADD_FIX)


@pytest.fixture
def calc(fake_github) -> None:
    seed_calc(fake_github, alice="write", mallory="read")


def _ask(fake_github, receiver, number: int, login: str, on_pull: bool) -> None:
    asking = fake_github.add_issue_comment(REPO, number, "/iquest fix", user=login)
    changes = {
        "issue.number": number,
        "comment.id": asking.id,
        "comment.body": "/iquest fix",
        "comment.user.login": login,
        # What the payload claims is not what counts: the worker reads the live permission.
        "comment.author_association": "COLLABORATOR",
        "sender.login": login,
    }
    if on_pull:
        changes["issue.pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/{number}"}
    fixture = "created.pull_request" if on_pull else "created.with-installation"
    deliver(receiver, "issue_comment", f"issue_comment/{fixture}.json", **changes)


def _bots(fake_github, number: int) -> list:
    return [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]


def _refusals(fake_github, number: int) -> list:
    return [c for c in _bots(fake_github, number) if "iquest:refusal" in c.body]


def _assert_refused_on_its_own(fake_github, number: int, status_before: str) -> None:
    wait_until(lambda: _refusals(fake_github, number), timeout=60, what="the refusal reply")
    [refusal] = _refusals(fake_github, number)
    assert "@mallory" in refusal.body and "`read` permission" in refusal.body
    assert "at least `write`" in refusal.body
    # The status comment still says what the successful job did, unedited since.
    assert status_comment(fake_github, number) == status_before
    assert len([c for c in _bots(fake_github, number) if "iquest:status" in c.body]) == 1


def _mallory_is_refused_on_her_own(fake_github, receiver, number: int, on_pull: bool) -> None:
    """After a job succeeded on `number`, a read-only user's trigger is answered on its own and
    the status comment is not edited again."""
    before = status_comment(fake_github, number)
    edits = fake_github.call_count("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}")
    _ask(fake_github, receiver, number, "mallory", on_pull=on_pull)
    _assert_refused_on_its_own(fake_github, number, before)
    assert fake_github.call_count(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}") == edits


def test_refused_trigger_on_an_issue_keeps_the_draft_pr_status(
    fake_github, model_server, calc, receiver, worker
) -> None:
    issue = fake_github.open_issue(REPO, "add() subtracts", "`add(2, 2)` is 0.", user="carol")
    model_server.script(_REPLY)
    _ask(fake_github, receiver, issue.number, "alice", on_pull=False)
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, issue.number),
               timeout=60, what="the draft PR")
    _mallory_is_refused_on_her_own(fake_github, receiver, issue.number, on_pull=False)
    assert len(model_server.chat_requests()) == 1  # the refused trigger ran nothing
    assert len(fake_github.pulls(REPO)) == 1


def test_refused_trigger_on_a_fork_pull_keeps_the_patch_status(
    fake_github, model_server, calc, receiver, worker
) -> None:
    fork_pull = open_fork_pull(fake_github)
    model_server.script(model_reply("`percent` scales by 10.", PERCENT_FIX, ADD_FIX))
    _ask(fake_github, receiver, fork_pull.number, "alice", on_pull=True)
    wait_until(lambda: "from a fork" in status_comment(fake_github, fork_pull.number),
               timeout=60, what="the patch comment")
    _mallory_is_refused_on_her_own(fake_github, receiver, fork_pull.number, on_pull=True)
    assert len(model_server.chat_requests()) == 1
