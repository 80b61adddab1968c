"""A failed check on the app's own draft PR: one follow-up commit per run, bounded by ci_rounds.

Real receiver, real Redis, real Celery worker, the fake GitHub and the scripted model server.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until
from tests.workers.handlers.test_fix_pull import ADD_FIX, INSTALLATION_ID, MAIN, REPO, _status
from workers.jobs import job_id_for_delivery

BRANCH = "iquest/issue-1"
TRAILER = "Generated-by: iquest-autofix"
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
    return ChatReply("## Root cause\n\n`add` subtracts, so test_add fails.\n\n## Changes\n\n"
                     + "\n".join(blocks) + "\n## Tests\n\nThe failing test covers it.\n")


@pytest.fixture
def draft(fake_github):
    fake_github.create_repo(REPO, {"calc.py": MAIN, "README.md": "# calc\n"})
    fake_github.add_installation(INSTALLATION_ID, "acme")
    issue = fake_github.open_issue(REPO, "mean of [] is 0.0", "should be 0", user="alice")
    fake_github.commit_files(REPO, BRANCH, {"calc.py": FIRST_FIX},
                             message=f"Fix #{issue.number}: mean\n\nOops.\n\n{TRAILER}\n")
    return fake_github.open_pull(REPO, head=BRANCH, title="Fix #1: mean of [] is 0.0",
                                 draft=True, body="Fixes #1", user="iquest-autofix[bot]")


def _head(fake_github) -> str:
    return fake_github.refs(REPO)[f"refs/heads/{BRANCH}"]


def _failed(fake_github, receiver, pull, run, delivery_id=None) -> None:
    """GitHub Actions reporting `run` completed; the sender is the pusher, here the app."""
    payload = repo_variant(
        "check_run/rerequested.json",
        REPO,
        INSTALLATION_ID,
        **{
            "action": "completed",
            "check_run.id": run.id,
            "check_run.name": run.name,
            "check_run.head_sha": run.head_sha,
            "check_run.conclusion": run.conclusion,
            "check_run.check_suite.head_branch": BRANCH,
            "check_run.check_suite.head_sha": run.head_sha,
            "check_run.pull_requests": [{"number": pull.number}],
            "sender.login": "iquest-autofix[bot]",
            "sender.type": "Bot",
        },
    )
    assert post_webhook(receiver.url, "check_run", payload, delivery_id).status_code == 202


def test_failed_check_gets_one_follow_up_commit(
    fake_github, model_server, draft, receiver, worker
) -> None:
    before = _head(fake_github)
    run = fake_github.add_check_run(REPO, before, "tests", output=OUTPUT)
    model_server.script(_reply(ADD_FIX))
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "pushed follow-up commit" in _status(fake_github, draft.number),
               timeout=60, what="the CI follow-up")

    repo = fake_github.repo(REPO)
    head = _head(fake_github)
    commit = repo.git.read_commit(head)
    assert list(commit.parents) == [before]  # a fast-forward on top of the PR head
    assert f"Iquest-CI: {run.id}" in commit.message and TRAILER in commit.message
    assert "return a + b" in repo.read_file(BRANCH, "calc.py")
    assert "return 0\n" in repo.read_file(BRANCH, "calc.py")  # the rest of the head is kept
    status = _status(fake_github, draft.number)
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
    run = fake_github.add_check_run(REPO, _head(fake_github), "tests", output=OUTPUT)
    model_server.script(_reply(ADD_FIX))
    _failed(fake_github, receiver, draft, run, delivery_id="one")
    wait_until(lambda: "pushed follow-up" in _status(fake_github, draft.number),
               timeout=60, what="the CI follow-up")
    head = _head(fake_github)
    _failed(fake_github, receiver, draft, run, delivery_id="two")
    wait_until(lambda: job_id_for_delivery("two") in _status(fake_github, draft.number),
               timeout=60, what="the retried job")
    assert "pushed follow-up" in _status(fake_github, draft.number)
    assert _head(fake_github) == head and len(model_server.chat_requests()) == 1


def test_ci_rounds_are_capped(fake_github, model_server, draft, receiver, worker) -> None:
    fake_github.commit_files(REPO, "main", {".github/iquest.yml": "ci_rounds: 1\n"})
    fake_github.commit_files(REPO, BRANCH, {"README.md": "# calc!\n"},
                             message=f"Fix check tests on #2\n\nx\n\nIquest-CI: 1\n{TRAILER}\n")
    head = _head(fake_github)
    run = fake_github.add_check_run(REPO, head, "tests", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "ci_rounds: 1" in _status(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert "1 follow-up commit to" in _status(fake_github, draft.number)
    assert _head(fake_github) == head and model_server.chat_requests() == []


def test_check_of_an_outdated_head_does_nothing(
    fake_github, model_server, draft, receiver, worker
) -> None:
    old = _head(fake_github)
    run = fake_github.add_check_run(REPO, old, "tests", output=OUTPUT)
    fake_github.commit_files(REPO, BRANCH, {"README.md": "# calc!\n"},
                             message=f"Fix check lint on #2\n\nx\n\nIquest-CI: 1\n{TRAILER}\n")
    head = _head(fake_github)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: f"check run {run.id} is for {old[:12]}" in worker.log(),
               timeout=60, what="the skip")
    assert _head(fake_github) == head and model_server.chat_requests() == []
    assert _status(fake_github, draft.number) == ""


def test_someone_elses_commit_on_the_branch_stops_it(
    fake_github, model_server, draft, receiver, worker
) -> None:
    fake_github.commit_files(REPO, BRANCH, {"README.md": "# mine\n"}, message="Tweak", author="alice")
    head = _head(fake_github)
    run = fake_github.add_check_run(REPO, head, "tests", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "not mine" in _status(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert _head(fake_github) == head and model_server.chat_requests() == []


def test_unusable_answer_is_said_plainly_and_nothing_pushed(
    fake_github, model_server, draft, receiver, worker
) -> None:
    bad = _reply("calc.py\n```python\n<<<<<<< SEARCH\ndef nowhere():\n=======\ndef x():\n"
                 ">>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)
    before = _head(fake_github)
    run = fake_github.add_check_run(REPO, before, "tests", conclusion="timed_out", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: "pushed nothing" in _status(fake_github, draft.number),
               timeout=60, what="the refusal")
    assert "could not turn its report into a usable change" in _status(fake_github, draft.number)
    assert _head(fake_github) == before


def test_the_apps_own_check_run_starts_nothing(
    fake_github, model_server, draft, receiver, worker
) -> None:
    head = _head(fake_github)
    run = fake_github.add_check_run(REPO, head, "iquest-autofix", output=OUTPUT)
    _failed(fake_github, receiver, draft, run)
    wait_until(lambda: f"ignores the app's own check run {run.id}" in worker.log(),
               timeout=60, what="the skip")
    assert _head(fake_github) == head and _status(fake_github, draft.number) == ""
