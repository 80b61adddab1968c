"""`/iquest fix` inside a review thread: one suggestion for exactly its lines, or the diff beyond.
"""

from __future__ import annotations

import pytest

from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import (
    ADD_FIX,
    PERCENT_FIX,
    PR_HEAD,
    REPO,
    deliver,
    open_percent_pull,
    seed_calc,
    status_comment,
)
from tests.workers.handlers.test_fix_pull import _reply
from workers.intake.jobs import job_id_for_delivery


@pytest.fixture
def thread(fake_github):
    """A PR adding `percent` (lines 22–23) and a reviewer's thread on those two lines."""
    seed_calc(fake_github, alice="write", bob="write")
    pull = open_percent_pull(fake_github)
    fake_github.add_review(REPO, pull.number, user="bob", comments=[{
        "path": "calc.py", "start_line": 22, "line": 23,
        "body": "A percentage is out of 100, and whole may be zero."}])
    [root] = fake_github.review_comments(REPO, pull.number)
    return pull, root


def _ask(fake_github, receiver, pull, root, body: str, delivery_id: str | None = None,
         asking=None):
    asking = asking or fake_github.reply_to_review_comment(REPO, pull.number, root.id, body,
                                                           user="alice")
    deliver(receiver, "pull_request_review_comment", "pull_request_review_comment/created.json",
            delivery_id=delivery_id, **{
                "pull_request.number": pull.number,
                "pull_request.head.ref": "feature",
                "comment.id": asking.id,
                "comment.in_reply_to_id": root.id,
                "comment.body": body,
                "comment.path": "calc.py",
                "comment.line": 23,
                "comment.user.login": "alice",
                "comment.author_association": "COLLABORATOR",
                "sender.login": "alice",
            })
    return asking


def _bot_replies(fake_github, pull):
    return [c for c in fake_github.review_comments(REPO, pull.number) if c.user.type == "Bot"]


def test_fix_inside_the_thread_becomes_one_suggestion_reply(
    fake_github, model_server, thread, receiver, worker
) -> None:
    pull, root = thread
    model_server.script(_reply(PERCENT_FIX))
    asking = _ask(fake_github, receiver, pull, root, "/iquest fix please")
    wait_until(lambda: "with a suggestion" in status_comment(fake_github, pull.number),
               timeout=60, what="the suggestion reply")

    [reply] = _bot_replies(fake_github, pull)
    assert reply.in_reply_to_id == root.id  # in the thread, not a new one
    assert (reply.path, reply.start_line, reply.line) == ("calc.py", 22, 23)
    assert ("```suggestion\ndef percent(part, whole):\n    if whole == 0:\n        return 0.0\n"
            "    return part / whole * 100\n```") in reply.body
    assert f"iquest:thread request={asking.id}" in reply.body
    assert "scales by 10" in reply.body
    assert not any(line.startswith("/iquest") for line in reply.body.splitlines())
    # Nothing else was posted or pushed.
    assert fake_github.reviews(REPO, pull.number)[-1].id == reply.review_id
    assert not any("iquest/" in ref for ref in fake_github.refs(REPO))
    assert [c.content for c in fake_github.repo(REPO).review_comments[asking.id].reactions] == ["eyes"]

    # The model saw the thread's lines, the reviewer's words and the request, fenced as data.
    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert "`calc.py`, lines 22–23" in prompt and "<thread>" in prompt
    assert "out of 100, and whole may be zero" in prompt and "please" in prompt
    assert "    return part / whole * 10\n```" in prompt


def test_fix_beyond_the_thread_posts_the_diff_in_the_thread(
    fake_github, model_server, thread, receiver, worker
) -> None:
    pull, root = thread
    model_server.script(_reply(PERCENT_FIX, ADD_FIX))
    _ask(fake_github, receiver, pull, root, "/iquest fix")
    wait_until(lambda: "reaches beyond" in status_comment(fake_github, pull.number),
               timeout=60, what="the diff reply")
    [reply] = _bot_replies(fake_github, pull)
    assert reply.in_reply_to_id == root.id
    assert "reaches beyond lines 22–23" in reply.body and "outside lines 22–23" in reply.body
    assert "```diff" in reply.body and "+    return a + b" in reply.body
    assert "```suggestion" not in reply.body
    assert fake_github.repo(REPO).read_file("feature", "calc.py") == PR_HEAD


def test_retried_job_finds_its_reply_instead_of_posting_again(
    fake_github, model_server, thread, receiver, worker
) -> None:
    pull, root = thread
    model_server.script(_reply(PERCENT_FIX))
    asking = _ask(fake_github, receiver, pull, root, "/iquest fix", delivery_id="first")
    wait_until(lambda: _bot_replies(fake_github, pull), timeout=60, what="the first reply")
    _ask(fake_github, receiver, pull, root, "/iquest fix", delivery_id="second", asking=asking)
    again = job_id_for_delivery("second")
    wait_until(lambda: again in status_comment(fake_github, pull.number)
               and "Replied in the review thread" in status_comment(fake_github, pull.number),
               timeout=60, what="the second run")
    assert len(_bot_replies(fake_github, pull)) == 1
    assert len(model_server.chat_requests()) == 1


def test_unusable_model_answer_is_reported_not_posted(
    fake_github, model_server, thread, receiver, worker
) -> None:
    pull, root = thread
    bad = _reply("calc.py\n```python\n<<<<<<< SEARCH\ndef nowhere():\n=======\ndef x():\n"
                 ">>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)
    _ask(fake_github, receiver, pull, root, "/iquest fix")
    wait_until(lambda: "No suggestion this time" in status_comment(fake_github, pull.number),
               timeout=60, what="the refusal")
    assert _bot_replies(fake_github, pull) == []


def test_thread_on_the_apps_own_pull_is_left_to_the_review_follow_up(
    fake_github, model_server, thread, receiver, worker
) -> None:
    fake_github.commit_files(REPO, "iquest/issue-9", {"calc.py": PR_HEAD},
                             message="Fix #9\n\nGenerated-by: iquest-autofix\n")
    own = fake_github.open_pull(REPO, head="iquest/issue-9", user="iquest-autofix[bot]")
    fake_github.add_review(REPO, own.number, user="bob", comments=[
        {"path": "calc.py", "line": 23, "body": "out of 100"}])
    [root] = fake_github.review_comments(REPO, own.number)
    _ask(fake_github, receiver, own, root, "/iquest fix", delivery_id="own")
    wait_until(lambda: "left to the review follow-up" in worker.log(), timeout=60,
               what="the job to step aside")
    assert _bot_replies(fake_github, own) == [] and status_comment(fake_github, own.number) == ""
    assert model_server.chat_requests() == []


def test_help_inside_a_thread_is_answered_on_the_pull_request(
    fake_github, model_server, thread, receiver, worker
) -> None:
    pull, root = thread
    _ask(fake_github, receiver, pull, root, "/iquest help")
    wait_until(
        lambda: any(c.user.type == "Bot" for c in fake_github.comments(REPO, pull.number)),
        timeout=30, what="the help comment",
    )
    [answer] = [c for c in fake_github.comments(REPO, pull.number) if c.user.type == "Bot"]
    assert "`/iquest fix" in answer.body and "min_permission" in answer.body
    assert _bot_replies(fake_github, pull) == []
