"""A suggestions review recorded at publish time, then GitHub's suggestion commit (co-authored by
the app's bot) pushed to the pull request's branch: `iquest report` counts it committed, on
SQLite and PostgreSQL. Real receiver, Redis, Celery worker, fake GitHub, scripted model."""

from __future__ import annotations

import pytest

from tests.support.outcome_payloads import push
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import INSTALLATION_ID, PERCENT_FIX, REPO, status_comment
from tests.workers.handlers.test_fix_pull import _ask, _reply
from tests.workers.handlers.test_fix_pull import pull as pull  # noqa: F401  (the fixture)
from tests.workers.ledger.test_outcome_scenario import _report
from workers.ledger.database import make_engine, upgrade
from workers.ledger.store import Ledger


@pytest.fixture
def worker_settings(database_url: str) -> dict[str, str]:
    upgrade(database_url)
    return {"IQUEST_DATABASE_URL": database_url}


def test_a_committed_suggestion_is_counted(fake_github, model_server, pull, receiver, worker,  # noqa: F811
                                           database_url) -> None:
    model_server.script(_reply(PERCENT_FIX))
    _ask(fake_github, receiver, pull.number, "/iquest fix percent should be out of 100")
    wait_until(lambda: "Posted a review" in status_comment(fake_github, pull.number),
               timeout=60, what="the review")
    [review] = fake_github.reviews(REPO, pull.number)
    assert "## Receipt" in review.body and "Not proven (tests not run" in review.body
    engine = make_engine(database_url)
    try:
        [fix] = Ledger(engine).fixes()
        assert (fix.kind, fix.number, fix.branch, fix.review_id, fix.verified) == (
            "suggestions", pull.number, "feature", review.id, False)
        commit = ("Apply suggestions from code review\n\nCo-authored-by: iquest-autofix[bot] "
                  "<1+iquest-autofix[bot]@users.noreply.github.com>")
        answer = post_webhook(receiver.url, "push", push(REPO, INSTALLATION_ID, "feature", [commit]))
        assert answer.status_code == 202 and answer.json()["job"] == "ledger"
        wait_until(lambda: Ledger(engine).fixes()[0].suggestions_committed, timeout=30,
                   what="the committed suggestion")
    finally:
        engine.dispose()
    report = _report(database_url)
    assert report["by_kind"]["suggestions"]["suggestions_committed"] == 1
    assert report["totals"]["fixes"] == 1 and report["totals"]["open"] == 1
