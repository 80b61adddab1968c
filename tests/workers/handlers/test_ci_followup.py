"""A failed check on the app's own draft PR: one follow-up commit per run, bounded by ci_rounds."""

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

# The app's first fix touched only `mean`; `add` still subtracts and the tests say so.
FIRST_FIX = MAIN.replace("return 0.0", "return 0")
LOG = "\n".join(f"collecting line {n}" for n in range(2000)) + (
    "\nFAILED tests/test_calc.py::test_add - assert -1 == 3\n1 failed, 4 passed in 0.12s"
)
OUTPUT = {
    "title": "1 test failed",
    "summary": "pytest exited with 1",
    "text": LOG,
    "annotations": [
        {"path": "calc.py", "start_line": 4, "end_line": 5, "annotation_level": "failure",
         "title": "test_add", "message": "assert add(1, 2) == 3"},
        {"path": ".github", "start_line": 1, "end_line": 1, "annotation_level": "notice",
         "message": "Node 16 is deprecated"},
    ],
}


def _reply(*blocks: str) -> ChatReply:
    return model_reply('`add` subtracts, so test_add fails.', *blocks, tests='The failing test covers it.')


@pytest.fixture
def draft(fake_github):
    return open_bot_draft(fake_github, FIRST_FIX, "mean of [] is 0.0", "should be 0")


def _failed(fake_github, receiver, pull, run, delivery_id=None) -> None:
    """GitHub Actions reporting `run` completed; the sender is the pusher, here the app."""
    deliver(receiver, "check_run", "check_run/rerequested.json", delivery_id=delivery_id, **{
        "action": "completed",
        "check_run.id": run.id,
        "check_run.name": run.name,
        "check_run.head_sha": run.head_sha,
        "check_run.conclusion": run.conclusion,
        "check_run.check_suite.head_branch": BOT_BRANCH,
        "check_run.check_suite.head_sha": run.head_sha,
        "check_run.pull_requests": [{"number": pull.number}],
        "sender.login": "iquest-autofix[bot]",
        "sender.type": "Bot",
    })


def test_failed_check_gets_one_follow_up_commit(
    fake_github, model_server, draft, receiver, worker
) -> None:
    before = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, before, "tests", output=OUTPUT)
    model_server.script(_reply(ADD_FIX))
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "pushed follow-up commit" in status_comment(fake_github, draft.number),
               timeout=60, what="the CI follow-up")

    repo = fake_github.repo(REPO)
    head = branch_head(fake_github)
    commit = repo.git.read_commit(head)
    assert list(commit.parents) == [before]  # a fast-forward on top of the PR head
    assert f"Iquest-CI: {run.id}" in commit.message and TRAILER in commit.message
    assert "return a + b" in repo.read_file(BOT_BRANCH, "calc.py")
    assert "return 0\n" in repo.read_file(BOT_BRANCH, "calc.py")  # the rest of the head is kept
    status = status_comment(fake_github, draft.number)
    assert head[:12] in status and "CI round 1 of 2" in status and f"/runs/{run.id}" in status
    assert "subtracts, so test_add fails" in status

    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert '<check name="tests">' in prompt and "1 test failed" in prompt
    assert "1 failed, 4 passed" in prompt and "collecting line 0\n" not in prompt  # the tail
    assert '<annotation on="`calc.py` lines 4–5" level="failure">' in prompt
    assert "test_add — assert add(1, 2) == 3" in prompt and "Node 16" not in prompt
    assert prompt.index("### calc.py") < prompt.index("<check")


def test_retried_job_pushes_nothing_twice(fake_github, model_server, draft, receiver, worker) -> None:
    run = fake_github.add_check_run(REPO, branch_head(fake_github), "tests", output=OUTPUT)
    model_server.script(_reply(ADD_FIX))
    _failed(fake_github, receiver, draft, run, delivery_id="one")
    wait_until(lambda: "pushed follow-up" in status_comment(fake_github, draft.number),
               timeout=60, what="the CI follow-up")
    head = branch_head(fake_github)
    _failed(fake_github, receiver, draft, run, delivery_id="two")
    wait_until(lambda: job_id_for_delivery("two") in status_comment(fake_github, draft.number),
               timeout=60, what="the retried job")
    assert "pushed follow-up" in status_comment(fake_github, draft.number)
    assert branch_head(fake_github) == head and len(model_server.chat_requests()) == 1


def test_ci_rounds_are_capped(fake_github, model_server, draft, receiver, worker) -> None:
    fake_github.commit_files(REPO, "main", {".github/iquest.yml": "ci_rounds: 1\n"})
    fake_github.commit_files(REPO, BOT_BRANCH, {"README.md": "# calc!\n"},
                             message=f"Fix check tests on #2\n\nx\n\nIquest-CI: 1\n{TRAILER}\n")
    head = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, head, "tests", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "ci_rounds: 1" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert "1 follow-up commit to" in status_comment(fake_github, draft.number)
    assert branch_head(fake_github) == head and model_server.chat_requests() == []


def test_check_of_an_outdated_head_does_nothing(
    fake_github, model_server, draft, receiver, worker
) -> None:
    old = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, old, "tests", output=OUTPUT)
    fake_github.commit_files(REPO, BOT_BRANCH, {"README.md": "# calc!\n"},
                             message=f"Fix check lint on #2\n\nx\n\nIquest-CI: 1\n{TRAILER}\n")
    head = branch_head(fake_github)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: f"check run {run.id} is for {old[:12]}" in worker.log(),
               timeout=60, what="the skip")
    assert branch_head(fake_github) == head and model_server.chat_requests() == []
    assert status_comment(fake_github, draft.number) == ""


def test_someone_elses_commit_on_the_branch_stops_it(
    fake_github, model_server, draft, receiver, worker
) -> None:
    fake_github.commit_files(REPO, BOT_BRANCH, {"README.md": "# mine\n"}, message="Tweak", author="alice")
    head = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, head, "tests", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "not mine" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert branch_head(fake_github) == head and model_server.chat_requests() == []


def test_unusable_answer_is_said_plainly_and_nothing_pushed(
    fake_github, model_server, draft, receiver, worker
) -> None:
    bad = _reply("calc.py\n```python\n<<<<<<< SEARCH\ndef nowhere():\n=======\ndef x():\n"
                 ">>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)
    before = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, before, "tests", conclusion="timed_out", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "pushed nothing" in status_comment(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert "could not turn its report into a usable change" in status_comment(fake_github, draft.number)
    assert branch_head(fake_github) == before


def test_the_apps_own_check_run_starts_nothing(
    fake_github, model_server, draft, receiver, worker
) -> None:
    head = branch_head(fake_github)
    run = fake_github.add_check_run(REPO, head, "iquest-autofix", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: f"ignores the app's own check run {run.id}" in worker.log(),
               timeout=60, what="the skip")
    assert branch_head(fake_github) == head and status_comment(fake_github, draft.number) == ""
