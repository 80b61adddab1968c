"""Verified fixes end to end: two sampled candidates, the first breaks an existing test, the
second fixes the bug with a reproducing test; the draft PR carries the second and says so.

Real receiver, Redis, Celery worker and bubblewrap sandbox, the fake GitHub, the scripted model.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    REPO,
    SHOWCASE,
    labeled,
    status_comment,
)

GOOD = (SHOWCASE / "model_response.md").read_text()
# The same fix, except the store keeps the name upper-cased: an existing test breaks.
BREAKS_LOGIN = GOOD.replace(
    "            self._sessions[session_id] = username\n            return True",
    "            self._sessions[session_id] = username.upper()\n            return True",
)


@pytest.fixture
def worker_settings(bwrap_sandbox) -> dict[str, str]:
    return {"IQUEST_SANDBOX": "bubblewrap", "IQUEST_CANDIDATES": "2"}


def test_the_pr_carries_the_candidate_without_regressions_and_its_verification(
    fake_github, model_server, showcase, receiver, worker
) -> None:
    assert BREAKS_LOGIN != GOOD
    model_server.script(ChatReply(BREAKS_LOGIN), ChatReply(GOOD))
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, showcase.number),
               timeout=120, what="the draft PR")
    [request] = model_server.chat_requests()
    assert request.json["n"] == 2
    [pull] = fake_github.pulls(REPO)
    body = fake_github.issue(REPO, pull.number).body
    assert "its tests were run in a sandbox" in body
    assert "## Verification" in body
    assert "Before the fix: 3 passed, 1 failed" in body and "With the fix: 4 passed, 0 failed" in body
    assert "Regressions: none" in body
    assert "`tests/test_auth.py::test_login_retries_when_an_id_is_taken`" in body
    store = fake_github.repo(REPO).read_file(f"iquest/issue-{showcase.number}", "session_store.py")
    assert "save_new" in store and ".upper()" not in store

