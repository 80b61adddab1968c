"""`require_verified: true`: an unproven fix opens no pull request; the status comment shows the
analysis and the diff (collapsed); the check run's "Open as draft PR" opens it anyway.

Real receiver, Redis, Celery worker, the fake GitHub, the scripted model. No sandbox
(IQUEST_SANDBOX=none), so nothing is run and the fix cannot be verified.
"""

from __future__ import annotations

import re

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    INSTALLATION_ID,
    REPO,
    SHOWCASE,
    labeled,
    repo_files,
    seed_showcase,
    status_comment,
)

GOOD = (SHOWCASE / "model_response.md").read_text()


@pytest.fixture
def strict_repo(fake_github):
    files = {**repo_files(), ".github/iquest.yml": "require_verified: true\n"}
    issue = seed_showcase(fake_github, files)
    fake_github.add_collaborator(REPO, "mallory", "read")
    return issue


def _press(fake_github, receiver, run, login: str) -> None:
    payload = repo_variant(
        "check_run/requested_action.json", REPO, INSTALLATION_ID,
        **{"check_run.id": run.id, "check_run.name": "iquest", "check_run.head_sha": run.head_sha,
           "check_run.external_id": run.external_id, "requested_action.identifier": "draft_pr",
           "sender.login": login},
    )
    assert post_webhook(receiver.url, "check_run", payload).status_code == 202


def test_an_unproven_fix_opens_no_pull_request_until_the_button_asks(
    fake_github, model_server, strict_repo, receiver, worker
) -> None:
    model_server.script(ChatReply(GOOD), ChatReply(GOOD))
    assert post_webhook(receiver.url, "issues", labeled(strict_repo.number)).status_code == 202
    try:
        wait_until(lambda: "opened no pull request" in status_comment(fake_github, strict_repo.number),
                   timeout=60, what="the held-back status")
    except AssertionError:
        print(worker.log()[-6000:], status_comment(fake_github, strict_repo.number))
        raise
    assert fake_github.pulls(REPO) == []
    status = status_comment(fake_github, strict_repo.number)
    assert "✋ A fix is ready, held back" in status
    assert "**Root cause.**" in status and "<details><summary>The diff (" in status
    assert "```diff\ndiff --git a/auth.py b/auth.py" in status and "diff --git a/session_store.py" in status
    assert "Not proven (tests not run" in status and not re.search(r"\bverified\b", status, re.I)
    [run] = fake_github.check_runs(REPO)
    assert run.conclusion == "neutral" and run.output["title"].startswith("Fix not proven (tests not run")
    assert run.external_id == f"fix_issue:{strict_repo.number}"
    final = fake_github.calls("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")[-1].body
    assert final["conclusion"] == "neutral"
    assert [(a["label"], a["identifier"]) for a in final["actions"]] == [("Open as draft PR", "draft_pr")]

    _press(fake_github, receiver, run, "mallory")  # read permission: refused, nothing opened
    wait_until(lambda: any("`read` permission" in c.body for c in fake_github.comments(REPO, strict_repo.number)),
               timeout=30, what="the refusal")
    assert fake_github.pulls(REPO) == []
    _press(fake_github, receiver, run, "alice")
    wait_until(lambda: fake_github.pulls(REPO), timeout=60, what="the draft PR")
    [pull] = fake_github.pulls(REPO)
    assert pull.draft
    body = fake_github.issue(REPO, pull.number).body
    assert "## Receipt" in body and "Not proven (tests not run" in body
