"""End to end: signed webhook → receiver → real Redis → real Celery worker → fake GitHub."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.fakes.model_server import ErrorReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until

REPO = "octo/service"
INSTALLATION_ID = 31337


@pytest.fixture
def repo(fake_github):
    fake_github.create_repo(REPO, {"README.md": "# service\n", "app.py": "print('hi')\n"})
    fake_github.add_installation(INSTALLATION_ID, "octo")
    fake_github.add_collaborator(REPO, "alice", "write")
    fake_github.add_collaborator(REPO, "mallory", "read")
    return REPO


def _comment_payload(number: int, comment_id: int, body: str, login: str = "alice") -> dict:
    return repo_variant(
        "issue_comment/created.with-installation.json",
        REPO,
        INSTALLATION_ID,
        **{
            "issue.number": number,
            "comment.id": comment_id,
            "comment.body": body,
            "comment.user.login": login,
            "sender.login": login,
        },
    )


def _labeled_payload(number: int, login: str = "alice") -> dict:
    return repo_variant(
        "issues/labeled.json",
        REPO,
        INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": number, "sender.login": login},
    )


def _bot_comments(fake_github, number: int) -> list:
    return [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]


def _status_body(fake_github, number: int) -> str:
    bots = _bot_comments(fake_github, number)
    return bots[0].body if bots else ""


def test_help_comment_is_answered_exactly_once(fake_github, repo, receiver, worker) -> None:
    issue = fake_github.open_issue(REPO, "How do I use the bot?", "", user="alice")
    asking = fake_github.add_issue_comment(REPO, issue.number, "/iquest help", user="alice")
    delivery = str(uuid.uuid4())
    payload = _comment_payload(issue.number, asking.id, "/iquest help")
    assert post_webhook(receiver.url, "issue_comment", payload, delivery).status_code == 202
    wait_until(lambda: _bot_comments(fake_github, issue.number), what="the help comment")
    # A redelivery and a retried job both find the answer already given.
    assert post_webhook(receiver.url, "issue_comment", payload, delivery).status_code == 200
    time.sleep(1.0)
    [answer] = _bot_comments(fake_github, issue.number)
    assert "/iquest fix" in answer.body and "autofix" in answer.body
    assert "min_permission: write" in answer.body
    assert fake_github.call_count("POST /repos/{owner}/{repo}/issues/{issue_number}/comments") == 1


def test_labeled_issue_gets_eyes_and_one_status_comment(
    fake_github, model_server, repo, receiver, worker
) -> None:
    # The model refuses both runs outright, so each job ends quickly in a visible status.
    refusal = ErrorReply(400, "prompt is longer than the context")
    model_server.script(refusal, refusal)
    issue = fake_github.open_issue(REPO, "Crash on login", "Traceback ...", user="bob")
    delivery = str(uuid.uuid4())
    payload = _labeled_payload(issue.number)
    first = post_webhook(receiver.url, "issues", payload, delivery)
    assert first.status_code == 202
    wait_until(lambda: _bot_comments(fake_github, issue.number), what="the status comment")
    wait_until(lambda: fake_github.reactions(REPO, issue.number), what="the 👀 reaction")
    again = post_webhook(receiver.url, "issues", payload, delivery)
    assert again.json()["status"] == "duplicate"
    wait_until(lambda: "No pull request" in _status_body(fake_github, issue.number),
               what="the final status")
    time.sleep(1.0)
    [status] = _bot_comments(fake_github, issue.number)
    assert "the model server refused the request" in status.body
    assert fake_github.reactions(REPO, issue.number) == ["eyes"]
    # The first status was "Working" (the worker starts as it accepts): created once, then
    # edited in place.
    created = fake_github.calls("POST /repos/{owner}/{repo}/issues/{issue_number}/comments")
    assert len(created) == 1 and "Working" in created[0].body["body"]

    # A new trigger on the same issue edits the same status comment, never adds one.
    assert post_webhook(receiver.url, "issues", payload).status_code == 202
    wait_until(lambda: len(model_server.chat_requests()) == 2, what="the second job")
    time.sleep(1.0)
    assert len(_bot_comments(fake_github, issue.number)) == 1


def test_user_without_write_permission_is_told_and_nothing_runs(
    fake_github, repo, receiver, worker
) -> None:
    issue = fake_github.open_issue(REPO, "Please fix", "", user="mallory")
    asking = fake_github.add_issue_comment(REPO, issue.number, "/iquest fix", user="mallory")
    payload = _comment_payload(issue.number, asking.id, "/iquest fix", login="mallory")
    # The payload claims COLLABORATOR; the worker checks the live permission (read).
    assert post_webhook(receiver.url, "issue_comment", payload).status_code == 202
    wait_until(lambda: _bot_comments(fake_github, issue.number), what="the refusal")
    # The refusal answers the asker on its own; no job ran, so there is no status comment.
    [reply] = _bot_comments(fake_github, issue.number)
    assert "@mallory" in reply.body and "`read` permission" in reply.body
    assert "iquest:status" not in reply.body
    assert fake_github.reactions(REPO, issue.number) == []
