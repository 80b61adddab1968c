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
    # The receipt: a table, and the whole of it collapsed.
    assert "## Receipt" in body and "<summary>The whole receipt</summary>" in body
    assert "| Tests before → after | 3 passed, 1 failed → 4 passed, 0 failed |" in body
    assert "Before the fix: 3 passed, 1 failed. With the fix: 4 passed, 0 failed. Regressions: none." in body
    assert "`tests/test_auth.py::test_login_retries_when_an_id_is_taken`" in body
    assert "| Command | `python3 -m pytest" in body
    assert "| Candidates | 2 tried, #2 published |" in body
    assert "- #1 (round 1): before 3 passed, 1 failed, after" in body and "regression(s)" in body
    assert "best of 2 usable answers: no regressions, a reproducing test" in body
    assert "**Files shown to the model.**\n- `session_store.py`" in body or "`session_store.py`" in body
    assert "Verified: the tests ran in a sandbox" in body
    # The failing test before the fix is the new one, so nothing was re-run for flakiness.
    assert "none failed before the fix." in body
    [run] = fake_github.repo(REPO).check_runs.values()
    assert run.conclusion == "success" and run.output["title"].startswith("Verified fix")
    assert "## Receipt" in run.output["text"] and "**Commands**" in run.output["text"]
    assert "Verified: the tests ran" in status_comment(fake_github, showcase.number)
    store = fake_github.repo(REPO).read_file(f"iquest/issue-{showcase.number}", "session_store.py")
    assert "save_new" in store and ".upper()" not in store

