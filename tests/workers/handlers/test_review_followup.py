"""A review of the app's own draft PR: one follow-up commit on its branch, each thread answered."""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import (
    ADD_FIX,
    BOT_BRANCH,
    MAIN,
    REPO,
    TRAILER,
    branch_head,
    deliver,
    model_reply,
    open_bot_draft,
    status_comment,
)
from workers.intake.jobs import job_id_for_delivery

# The app's first fix touched the docstring and `mean`; its diff shows `add` on line 4.
FIRST_FIX = MAIN.replace("return 0.0", "return 0").replace("helpers.", "helpers, fixed.")


def _reply(*blocks: str) -> ChatReply:
    return model_reply('`add` subtracts instead of adding.', *blocks)


@pytest.fixture
def draft(fake_github):
    return open_bot_draft(
        fake_github, FIRST_FIX, "add is broken", "add(1, 2) is -1", collaborators=("alice",)
    )


def _review(fake_github, receiver, pull, comments, body="Not yet.", delivery_id=None,
            review=None):
    review = review or fake_github.add_review(REPO, pull.number, user="alice", body=body,
                                              event="REQUEST_CHANGES", comments=comments)
    deliver(receiver, "pull_request_review", "pull_request_review/submitted.json", delivery_id=delivery_id, **{
        "pull_request.number": pull.number,
        "pull_request.head.ref": BOT_BRANCH,
        "review.id": review.id,
        "review.state": "changes_requested",
        "review.body": body,
        "review.user.login": "alice",
        "review.author_association": "COLLABORATOR",
        "sender.login": "alice",
    })
    return review


TWO_THREADS = [
    {"path": "calc.py", "line": 4, "body": "add still subtracts"},
    {"path": "calc.py", "line": 10, "body": "why 0 and not 0.0?"},
]


def _bot_replies(fake_github, pull):
    return [c for c in fake_github.review_comments(REPO, pull.number) if c.user.type == "Bot"]


def test_review_gets_one_follow_up_commit_and_every_thread_an_answer(
    fake_github, model_server, draft, receiver, worker
) -> None:
    before = branch_head(fake_github)
    model_server.script(_reply(ADD_FIX))
    review = _review(fake_github, receiver, draft, TWO_THREADS)
    wait_until(lambda: "Pushed follow-up commit" in status_comment(fake_github, draft.number),
               timeout=60, what="the follow-up")

    repo = fake_github.repo(REPO)
    head = branch_head(fake_github)
    commit = repo.git.read_commit(head)
    assert list(commit.parents) == [before]  # a fast-forward on top of the PR head
    assert f"Iquest-Review: {review.id}" in commit.message and TRAILER in commit.message
    assert "return a + b" in repo.read_file(BOT_BRANCH, "calc.py")
    assert "return 0\n" in repo.read_file(BOT_BRANCH, "calc.py")  # the rest of the head is kept
    roots = [c for c in fake_github.review_comments(REPO, draft.number) if c.user.type != "Bot"]
    replies = _bot_replies(fake_github, draft)
    assert sorted(r.in_reply_to_id for r in replies) == sorted(c.id for c in roots)
    assert all(head in r.body and "subtracts instead" in r.body for r in replies)
    assert head[:12] in status_comment(fake_github, draft.number)
    assert "2 threads answered" in status_comment(fake_github, draft.number)
    # The `iquest` check run on the follow-up commit marks the one line it changed (`return`).
    [run] = [r for r in repo.check_runs.values() if r.head_sha == head]
    assert run.name == "iquest" and run.status == "completed"
    assert [(a["path"], a["start_line"], a["end_line"]) for a in run.output["annotations"]] == [
        ("calc.py", 5, 5)
    ]

    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert "<review>" in prompt and "Not yet." in prompt
    assert '<comment on="`calc.py` line 4">\nadd still subtracts' in prompt


def test_retried_job_pushes_nothing_twice(fake_github, model_server, draft, receiver, worker) -> None:
    model_server.script(_reply(ADD_FIX))
    review = _review(fake_github, receiver, draft, TWO_THREADS, delivery_id="one")
    wait_until(lambda: "Pushed follow-up" in status_comment(fake_github, draft.number),
               timeout=60, what="the follow-up")
    head = branch_head(fake_github)
    _review(fake_github, receiver, draft, TWO_THREADS, delivery_id="two", review=review)
    wait_until(lambda: job_id_for_delivery("two") in status_comment(fake_github, draft.number)
               and "Pushed follow-up" in status_comment(fake_github, draft.number),
               timeout=60, what="the retried job")
    assert branch_head(fake_github) == head
    assert len(_bot_replies(fake_github, draft)) == 2
    assert len(model_server.chat_requests()) == 1


def test_review_rounds_are_capped(fake_github, model_server, draft, receiver, worker) -> None:
    fake_github.commit_files(REPO, "main", {".github/iquest.yml": "review_rounds: 1\n"})
    fake_github.commit_files(REPO, BOT_BRANCH, {"README.md": "# calc!\n"},
                             message=f"Address review\n\nx\n\nIquest-Review: 1\n{TRAILER}\n")
    head = branch_head(fake_github)
    _review(fake_github, receiver, draft, TWO_THREADS)
    wait_until(lambda: "review_rounds: 1" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert "1 follow-up commit to" in status_comment(fake_github, draft.number)
    assert branch_head(fake_github) == head and model_server.chat_requests() == []


def test_someone_elses_commit_on_the_branch_stops_the_push(
    fake_github, model_server, draft, receiver, worker
) -> None:
    fake_github.commit_files(REPO, BOT_BRANCH, {"README.md": "# mine\n"}, message="Tweak", author="alice")
    head = branch_head(fake_github)
    model_server.script(_reply(ADD_FIX))
    _review(fake_github, receiver, draft, TWO_THREADS)
    wait_until(lambda: "not mine" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert branch_head(fake_github) == head and _bot_replies(fake_github, draft) == []


def test_unusable_edits_are_said_plainly_in_each_thread(
    fake_github, model_server, draft, receiver, worker
) -> None:
    bad = _reply("calc.py\n```python\n<<<<<<< SEARCH\ndef nowhere():\n=======\ndef x():\n"
                 ">>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)
    before = branch_head(fake_github)
    _review(fake_github, receiver, draft, TWO_THREADS)
    wait_until(lambda: "No follow-up commit this time" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    replies = _bot_replies(fake_github, draft)
    assert len(replies) == 2 and all("pushed nothing" in r.body for r in replies)
    assert branch_head(fake_github) == before
