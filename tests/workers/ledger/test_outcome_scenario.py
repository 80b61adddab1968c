"""End to end, on SQLite and on a real PostgreSQL: issues become draft PRs with receipts, then
webhooks say what people did — one merged after a person's edit and later reverted, one
closed, a suggestion committed — and `iquest report --json` counts each outcome.

Real receiver, Redis, Celery worker, bubblewrap sandbox, fake GitHub, scripted model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.outcome_payloads import pull_closed, push
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    INSTALLATION_ID,
    REPO,
    SHOWCASE,
    labeled,
    status_comment,
)
from workers.intake.outcomes import FixKind
from workers.ledger.database import make_engine, upgrade
from workers.ledger.store import FixRecord, Ledger

GOOD = (SHOWCASE / "model_response.md").read_text()
MERGE_SHA = "4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"


@pytest.fixture
def worker_settings(bwrap_sandbox, database_url: str) -> dict[str, str]:
    upgrade(database_url)  # what `iquest db upgrade` does before the services start
    return {"IQUEST_SANDBOX": "bubblewrap", "IQUEST_DATABASE_URL": database_url}


def _report(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env["IQUEST_DATABASE_URL"] = database_url
    result = subprocess.run([sys.executable, "-m", "workers.cli", "report", "--json", "--since", "3650d"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_outcomes_by_webhook_are_counted_by_iquest_report(
    fake_github, model_server, showcase, receiver, worker, database_url
) -> None:
    second = fake_github.open_issue(REPO, "Login fails again", "Same bug, other place.", user="carol")
    model_server.script(ChatReply(GOOD), ChatReply(GOOD))
    for issue in (showcase.number, second.number):
        assert post_webhook(receiver.url, "issues", labeled(issue)).status_code == 202
        wait_until(lambda issue=issue: "Opened draft pull request" in status_comment(fake_github, issue),
                   timeout=120, what=f"the draft PR for #{issue}")
    first_pull, second_pull = sorted(fake_github.pulls(REPO), key=lambda p: p.number)
    body = fake_github.issue(REPO, first_pull.number).body
    assert "## Receipt" in body and "| Command | `python3 -m pytest" in body
    # A suggestion review is its own flow (tests/workers/handlers/test_fix_pull.py); here
    # its ledger row is written as fix_pull writes it, and the outcome arrives by webhook.
    engine = make_engine(database_url)
    ledger = Ledger(engine)
    # How the monthly summary reaches the repository later, without a webhook.
    assert {f.installation_id for f in ledger.fixes()} == {INSTALLATION_ID}
    ledger.record_fix(FixRecord(FixKind.SUGGESTIONS, REPO, 99, True, "feature/login", review_id=5))

    deliveries = [
        ("push", push(REPO, INSTALLATION_ID, first_pull.head_ref, ["Tidy the test name"])),
        ("pull_request", pull_closed(REPO, INSTALLATION_ID, first_pull.number, first_pull.head_ref,
                                     merged=True, merge_sha=MERGE_SHA)),
        ("pull_request", pull_closed(REPO, INSTALLATION_ID, second_pull.number,
                                     second_pull.head_ref, merged=False)),
        ("push", push(REPO, INSTALLATION_ID, "feature/login", [
            "Apply suggestions from code review\n\nCo-authored-by: iquest-autofix[bot] "
            "<1+iquest-autofix[bot]@users.noreply.github.com>"])),
        ("push", push(REPO, INSTALLATION_ID, "main", [
            f'Revert "Fix #1"\n\nThis reverts commit {MERGE_SHA}.'], at="2026-12-09T08:00:00Z")),
    ]
    for event, payload in deliveries:
        answer = post_webhook(receiver.url, event, payload)
        assert answer.status_code == 202, answer.text
        assert answer.json()["job"] == "ledger"

    def counted() -> bool:
        return any(f.reverted_at is not None for f in ledger.fixes()) and any(
            f.suggestions_committed for f in ledger.fixes()) and any(
            f.state == "closed" for f in ledger.fixes())

    wait_until(counted, timeout=60, what="the ledger to record every outcome")
    engine.dispose()
    report = _report(database_url)
    totals = report["totals"]
    assert totals == {**totals, "fixes": 3, "verified": 3, "open": 1, "merged": 1, "closed": 1,
                      "edited_before_merge": 1, "reverted": 1, "suggestions_committed": 1}
    assert totals["median_hours_to_merge"] is not None
    assert report["by_kind"]["draft_pr"]["merged"] == 1 and report["by_kind"]["draft_pr"]["closed"] == 1
    assert report["repositories"][REPO]["fixes"] == 3
