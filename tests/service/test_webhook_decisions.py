"""Every shared real payload, and trigger variants of them, get the right decision over HTTP."""

from __future__ import annotations

import pytest

from tests.support.queue import queued_jobs
from tests.support.webhooks import event_of, payload_files, post_webhook, variant

# file → the reason it is ignored (substring). Every real example is a non-trigger as
# captured: the trigger variants below change just the fields that make them one.
EXPECTED_IGNORED = {
    "check_run/requested_action.json": "check run 'API Review' is not the app's",
    "check_run/rerequested.json": "not one the app acts on",
    "check_suite/rerequested.json": "not one the app acts on",
    "code_scanning_alert/created.json": "is on 'refs/heads/code-feature', not the default branch",
    "code_scanning_alert/reopened.json": "delivery has no installation",
    "installation/created.json": "not one the app acts on",
    "installation/created.with-requester.json": "not one the app acts on",
    "installation/deleted.json": "not one the app acts on",
    "installation/suspend.json": "not one the app acts on",
    "installation_repositories/added.json": "not one the app acts on",
    "installation_repositories/removed.json": "not one the app acts on",
    "issue_comment/created.json": "no /iquest command",
    "issue_comment/created.pull_request.json": "no /iquest command",
    "issue_comment/created.with-installation.json": "no /iquest command",
    "issue_comment/edited.json": "issue_comment.edited is not one the app acts on",
    "issues/edited.json": "issues.edited is not one the app acts on",
    "issues/labeled.json": "label 'bug' is not 'autofix'",
    "issues/opened.json": "issues.opened is not one the app acts on",
    "issues/opened.with-empty-body.json": "issues.opened is not one the app acts on",
    "issues/reopened.json": "issues.reopened is not one the app acts on",
    "issues/unlabeled.json": "label 'bug' is not 'autofix'",
    "ping/ping.json": "pong",
    "ping/ping.with-app_id.json": "pong",
    "pull_request/closed.json": "is not one of the app's",
    "pull_request/opened.json": "not one the app acts on",
    "pull_request/opened.with-null-body.json": "not one the app acts on",
    "pull_request/synchronize.json": "not one the app acts on",
    "pull_request_review/submitted.json": "branch 'changes' is not one of the app's",
    "pull_request_review_comment/created.json": "no /iquest command",
    "pull_request_review_thread/resolved.json": "not one the app acts on",
}

INSTALLATION = {"id": 4242}

# (payload file, changes) → expected job kind
TRIGGER_VARIANTS = [
    ("issues/labeled.json", {"label.name": "autofix", "installation": INSTALLATION}, "fix_issue"),
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "/iquest help"},
        "help",
    ),
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "Thanks!\n/iquest fix please keep the API"},
        "fix_issue",
    ),
    (
        "issue_comment/created.pull_request.json",
        {"comment.body": "/iquest fix", "installation": INSTALLATION},
        "fix_pull",
    ),
    (
        "pull_request_review_comment/created.json",
        {"comment.body": "/iquest fix use a constant here"},
        "fix_review_thread",
    ),
    (
        "pull_request_review/submitted.json",
        {"pull_request.head.ref": "iquest/issue-1"},
        "review_followup",
    ),
    (
        "check_run/rerequested.json",
        {"action": "completed", "check_run.conclusion": "failure",
         "check_run.check_suite.head_branch": "iquest/issue-1",
         "check_run.pull_requests": [{"number": 3}], "sender.type": "Bot"},
        "ci_followup",
    ),
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "/iquest cancel"},
        "cancel",
    ),
    (
        "check_run/requested_action.json",
        {"check_run.name": "iquest", "check_run.external_id": "fix_pull:7",
         "requested_action.identifier": "draft_pr", "installation": INSTALLATION},
        "fix_pull",
    ),
    (
        "pull_request_review_comment/created.json",
        {"comment.body": "/iquest cancel"},
        "cancel",
    ),
    ("issues/unlabeled.json", {"label.name": "autofix", "installation": INSTALLATION}, "cancel"),
    ("issues/reopened.json", {"action": "closed", "installation": INSTALLATION}, "cancel"),
    ("code_scanning_alert/created.json", {"ref": "refs/heads/master"}, "fix_alert"),
    ("code_scanning_alert/reopened.json", {"installation": INSTALLATION}, "fix_alert"),
    (
        "code_scanning_alert/created.json",
        {"action": "appeared_in_branch", "ref": "refs/heads/master"},
        "fix_alert",
    ),
    (
        "code_scanning_alert/reopened.json",
        {"action": "reopened_by_user", "ref": "", "installation": INSTALLATION},
        "fix_alert",
    ),
]

IGNORED_VARIANTS = [
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "/iquest fix", "comment.author_association": "NONE"},
        "author association 'NONE'",
    ),
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "/iquest fix", "sender.type": "Bot", "comment.user.type": "Bot"},
        "bot",
    ),
    (
        "issue_comment/created.with-installation.json",
        {"comment.body": "> /iquest fix\nquoting the bot's docs"},
        "no /iquest command",
    ),
    ("issues/labeled.json", {"label.name": "autofix"}, "no installation"),
    (
        "code_scanning_alert/created.json",
        {"ref": "refs/heads/master", "alert.state": "dismissed"},
        "code scanning alert is dismissed",
    ),
    ("code_scanning_alert/created.json", {"action": "fixed"}, "not one the app acts on"),
    (
        "pull_request_review/submitted.json",
        {"pull_request.head.ref": "iquest/issue-1", "review.state": "approved"},
        "approval",
    ),
    (
        "check_run/rerequested.json",
        {"action": "completed", "check_run.conclusion": "failure",
         "check_run.pull_requests": [{"number": 3}]},
        "branch 'master' is not one of the app's",
    ),
]


def test_every_shared_payload_is_covered() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in payload_files()}
    assert names == set(EXPECTED_IGNORED)


@pytest.mark.parametrize("path", payload_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_payload_is_ignored_with_reason(receiver, redis_client, path) -> None:
    response = post_webhook(receiver.url, event_of(path), path.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ignored"
    assert EXPECTED_IGNORED[f"{path.parent.name}/{path.name}"] in body["reason"]
    assert redis_client.llen("iquest") == 0


@pytest.mark.parametrize(("relative", "changes", "kind"), TRIGGER_VARIANTS)
def test_trigger_variant_queues_job(receiver, redis_client, relative, changes, kind) -> None:
    payload = variant(relative, **changes)
    response = post_webhook(receiver.url, relative.split("/")[0], payload)
    assert response.status_code == 202, response.text
    assert response.json()["job"] == kind
    [job] = queued_jobs(redis_client)
    assert job.kind == kind
    assert job.job_id == response.json()["job_id"]
    assert job.repo_full_name == payload["repository"]["full_name"]


@pytest.mark.parametrize(("relative", "changes", "reason"), IGNORED_VARIANTS)
def test_non_trigger_variant_is_ignored(receiver, redis_client, relative, changes, reason) -> None:
    response = post_webhook(receiver.url, relative.split("/")[0], variant(relative, **changes))
    assert response.status_code == 200, response.text
    assert reason in response.json()["reason"]
    assert redis_client.llen("iquest") == 0
