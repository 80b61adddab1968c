"""Cancelling: `/iquest cancel`, a removed label or a closed issue stop a queued job before it
starts and a running one before its next write; only the final status is written.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import start_worker, wait_until
from tests.workers.sharing.support import (
    bot_comments,
    bot_status,
    is_final,
    label_issue,
)

REPO = "north/app"
INSTALLATION = 101


@pytest.fixture
def repo(fake_github) -> str:
    fake_github.create_repo(REPO, {"app.py": "def handler(event):\n    return event['id']\n"})
    fake_github.add_installation(INSTALLATION, "north")
    fake_github.add_collaborator(REPO, "alice", "write")
    fake_github.add_collaborator(REPO, "mallory", "read")
    return REPO


def _cancel_comment(fake_github, receiver, number: int, login: str = "alice") -> None:
    comment = fake_github.add_issue_comment(REPO, number, "/iquest cancel", user=login)
    payload = repo_variant(
        "issue_comment/created.with-installation.json", REPO, INSTALLATION,
        **{"issue.number": number, "comment.id": comment.id, "comment.body": "/iquest cancel",
           "comment.user.login": login, "sender.login": login},
    )
    assert post_webhook(receiver.url, "issue_comment", payload).status_code == 202


def _unlabel(receiver, number: int) -> None:
    payload = repo_variant("issues/unlabeled.json", REPO, INSTALLATION,
                           **{"label.name": "autofix", "issue.number": number, "sender.login": "alice"})
    assert post_webhook(receiver.url, "issues", payload, str(uuid.uuid4())).status_code == 202


def _close(receiver, number: int) -> None:
    payload = repo_variant("issues/reopened.json", REPO, INSTALLATION,
                           **{"action": "closed", "issue.number": number, "issue.state": "closed",
                              "sender.login": "alice"})
    assert post_webhook(receiver.url, "issues", payload, str(uuid.uuid4())).status_code == 202


def _writes_on(fake_github, number: int) -> int:
    return sum(
        1 for call in fake_github.calls()
        if call.method in ("POST", "PATCH") and call.body and f"iquest:status number={number} " in str(call.body)
    )


def _drained(redis_client) -> bool:
    return redis_client.llen("iquest") == 0 and redis_client.llen("iquest.notices") == 0


@pytest.mark.parametrize("how", ["command", "unlabel", "close"])
def test_a_queued_job_is_dropped_and_never_starts(
    fake_github, model_server, redis_server, redis_client, receiver, repo, tmp_path, how
) -> None:
    busy = fake_github.open_issue(REPO, "Slow one", "handler crashes").number
    waiting = fake_github.open_issue(REPO, "Waiting one", "handler crashes too").number
    model_server.script(ErrorReply(400, "too long", delay_seconds=3.0))
    worker = start_worker(fake_github, model_server, redis_server, tmp_path)
    try:
        label_issue(receiver, REPO, INSTALLATION, busy)
        wait_until(lambda: model_server.in_flight == 1, timeout=60, what="the first job's model call")
        label_issue(receiver, REPO, INSTALLATION, waiting)
        {"command": lambda: _cancel_comment(fake_github, receiver, waiting),
         "unlabel": lambda: _unlabel(receiver, waiting),
         "close": lambda: _close(receiver, waiting)}[how]()
        wait_until(lambda: "⏹️ Cancelled" in bot_status(fake_github, REPO, waiting),
                   timeout=60, what="the cancelled status")
        wait_until(lambda: is_final(bot_status(fake_github, REPO, busy)), what="the first job")
        wait_until(lambda: _drained(redis_client), what="every ticket taken")
        writes = _writes_on(fake_github, waiting)
        # Nothing of the dropped job ran: no 👀, no model call, no status after "Cancelled".
        # Three tickets, two jobs left to run: the last ticket finds its job gone.
        wait_until(lambda: "found no job waiting" in worker.log(), what="the dropped job's ticket")
    finally:
        worker.stop()
    assert fake_github.reactions(REPO, waiting) == []
    assert len(model_server.chat_requests()) == 1
    assert _writes_on(fake_github, waiting) == writes
    assert "⏹️ Cancelled" in bot_status(fake_github, REPO, waiting)


def test_a_running_job_stops_at_its_next_write(
    fake_github, model_server, redis_server, redis_client, receiver, repo, tmp_path
) -> None:
    issue = fake_github.open_issue(REPO, "KeyError", "handler crashes").number
    # Two workers: one runs the fix, the other takes the cancel while the model thinks.
    # One reply only: the repair round's call, had it been made, would be an unscripted request.
    # The answer is held until the cancel has been handled, however slowly the machine runs.
    answer = threading.Event()
    model_server.script(ChatReply("I could not find it.", hold=answer))
    first = start_worker(fake_github, model_server, redis_server, tmp_path, name="first")
    second = start_worker(fake_github, model_server, redis_server, tmp_path, name="second")
    try:
        label_issue(receiver, REPO, INSTALLATION, issue)
        wait_until(lambda: model_server.in_flight == 1, timeout=60, what="the model call")
        _cancel_comment(fake_github, receiver, issue)
        wait_until(lambda: "⏹️ Cancelled" in bot_status(fake_github, REPO, issue),
                   timeout=60, what="the cancelled status")
        writes = _writes_on(fake_github, issue)
        answer.set()
        wait_until(lambda: "cancelled job=" in first.log() + second.log(), timeout=60,
                   what="the running job noticing")
    finally:
        answer.set()
        first.stop()
        second.stop()
    # The job stopped before its repair round's model call and before any status write.
    assert len(model_server.chat_requests()) == 1
    assert _writes_on(fake_github, issue) == writes
    assert "⏹️ Cancelled" in bot_status(fake_github, REPO, issue)
    assert "@alice asked me to stop." in bot_status(fake_github, REPO, issue)


def test_a_cancel_from_someone_without_permission_changes_nothing(
    fake_github, model_server, redis_server, redis_client, receiver, repo, tmp_path
) -> None:
    busy = fake_github.open_issue(REPO, "Slow one", "handler crashes").number
    waiting = fake_github.open_issue(REPO, "Waiting one", "handler crashes too").number
    model_server.script(ErrorReply(400, "too long", delay_seconds=2.0), ErrorReply(400, "too long"))
    worker = start_worker(fake_github, model_server, redis_server, tmp_path)
    try:
        label_issue(receiver, REPO, INSTALLATION, busy)
        wait_until(lambda: model_server.in_flight == 1, timeout=60, what="the first job's model call")
        label_issue(receiver, REPO, INSTALLATION, waiting)
        # mallory has read permission; the payload's association says COLLABORATOR.
        _cancel_comment(fake_github, receiver, waiting, login="mallory")
        wait_until(lambda: is_final(bot_status(fake_github, REPO, waiting)), timeout=90,
                   what="the waiting job's own result")
    finally:
        worker.stop()
    assert "Cancelled" not in bot_status(fake_github, REPO, waiting)
    assert any("@mallory" in body and "to cancel a job" in body
               for body in bot_comments(fake_github, REPO, waiting))
    assert len(model_server.chat_requests()) == 2
