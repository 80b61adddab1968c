"""Help goes ahead of every fix, so it is counted: people who may not trigger fixes get a few
answers an hour, people who may get theirs. Real receiver, Redis, worker and fake GitHub."""

from __future__ import annotations

import pytest

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import INSTALLATION_ID, REPO
from workers.intake.messages import help_marker

APP_BOT = "iquest-autofix[bot]"


@pytest.fixture
def worker_settings() -> dict[str, str]:
    return {"IQUEST_HELP_PER_HOUR_PER_USER": "1"}


def _ask(fake_github, receiver, number: int, login: str):
    asking = fake_github.add_issue_comment(REPO, number, "/iquest help", user=login)
    payload = repo_variant(
        "issue_comment/created.with-installation.json", REPO, INSTALLATION_ID,
        **{"issue.number": number, "comment.id": asking.id, "comment.body": "/iquest help",
           "comment.user.login": login, "sender.login": login})
    assert post_webhook(receiver.url, "issue_comment", payload).status_code == 202
    return asking


def _answered(fake_github, number: int, asking) -> bool:
    return any(c.user.login == APP_BOT and help_marker(asking.id) in c.body
               for c in fake_github.comments(REPO, number))


def test_outsiders_get_one_help_answer_an_hour_collaborators_every_one(
        fake_github, showcase, receiver, worker) -> None:
    fake_github.add_collaborator(REPO, "mallory", "read")
    number = showcase.number
    first = _ask(fake_github, receiver, number, "mallory")
    wait_until(lambda: _answered(fake_github, number, first), what="mallory's first answer")
    second = _ask(fake_github, receiver, number, "mallory")
    wait_until(lambda: "help not answered" in worker.log(), what="the worker to skip it")
    assert "@mallory may not trigger fixes" in worker.log()
    # alice (maintain) may trigger fixes: both her questions are answered.
    asked = [_ask(fake_github, receiver, number, "alice") for _ in range(2)]
    for asking in asked:
        wait_until(lambda asking=asking: _answered(fake_github, number, asking),
                   what="alice's answers")
    assert not _answered(fake_github, number, second)
