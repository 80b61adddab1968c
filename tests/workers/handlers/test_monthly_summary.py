"""The monthly summary on SQLite and on a real PostgreSQL, through the production GitHub client
(minted installation tokens, the fake GitHub): one comment per opted-in repository and month,
with last month's figures; nothing for a repository that did not ask or asked wrongly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from tests.support.worker import wait_until
from workers.celery_app import create_celery
from workers.config import Settings
from workers.handlers.monthly_summary import (
    SummaryResult,
    post_monthly_summaries,
    previous_month,
    summary_marker,
)
from workers.intake.outcomes import FixKind, OutcomeEvent, OutcomeKind
from workers.ledger.database import make_engine, upgrade
from workers.ledger.models import MonthlySummary
from workers.ledger.store import FixRecord, Ledger
from workers.operations.periodic import MONTHLY_SUMMARY_TASK
from workers.runtime import Runtime

INSTALLATION = 41
NOW = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SHOP, QUIET, OFF, BROKEN, LEGACY = ("acme/shop", "acme/quiet", "acme/off", "acme/broken",
                                    "acme/legacy")
SETTINGS = {
    SHOP: "require_verified: false\nmonthly_summary:\n  issue: 1\n",
    QUIET: None,  # no .github/iquest.yml at all
    OFF: "require_verified: true\n",
    BROKEN: "monthly_summary:\n  issue: first\n",
    LEGACY: "monthly_summary:\n  issue: 1\n",  # its fixes predate installation ids
}


@pytest.fixture
def runtime(fake_github, redis_server, redis_client, tmp_path, database_url):
    fake_github.add_installation(INSTALLATION, "acme")
    for repo, settings in SETTINGS.items():
        files = {"README.md": "hello\n"}
        if settings is not None:
            files[".github/iquest.yml"] = settings
        fake_github.create_repo(repo, files)
        fake_github.open_issue(repo, "Outcomes of the fix bot", "Monthly numbers go here.")
    upgrade(database_url)
    built = Runtime.build(Settings(
        _env_file=None, app_id=fake_github.app_id, private_key=fake_github.private_key,
        github_api_url=fake_github.url, redis_url=redis_server.url, data_dir=tmp_path / "data",
        database_url=database_url, github_retry_base_seconds=0.05,
        github_write_interval_seconds=0.0,
    ), redis_server.url)
    yield built
    built.ledger.engine.dispose()
    built.redis.close()


def _fix(ledger: Ledger, kind: FixKind, number: int, verified: bool, at: datetime,
         repo: str = SHOP, installation: int | None = INSTALLATION) -> None:
    ledger.record_fix(FixRecord(kind, repo, number, verified, f"iquest/issue-{number}",
                                created_at=at, installation_id=installation))


def _event(ledger: Ledger, kind: OutcomeKind, at: datetime, **fields) -> None:
    assert ledger.apply(SHOP, OutcomeEvent(kind=kind, at=at, **fields))


def _november(ledger: Ledger) -> None:
    """Five fixes in November (two merged, one of them edited first and later reverted, one
    closed, a suggestion review committed, one left open) and two outside it."""
    hour = timedelta(hours=1)
    _fix(ledger, FixKind.DRAFT_PR, 10, True, NOV)
    _event(ledger, OutcomeKind.EDITED, NOV + hour, branch="iquest/issue-10", commits=1)
    _event(ledger, OutcomeKind.MERGED, NOV + 5 * hour, number=10, merge_sha="a" * 40)
    _event(ledger, OutcomeKind.REVERTED, NOV + 50 * hour, reverted_shas=("a" * 40,))
    _fix(ledger, FixKind.DRAFT_PR, 11, True, NOV + 24 * hour)
    _event(ledger, OutcomeKind.MERGED, NOV + 27 * hour, number=11, merge_sha="b" * 40)
    _fix(ledger, FixKind.DRAFT_PR, 12, False, NOV + 48 * hour)
    _event(ledger, OutcomeKind.CLOSED, NOV + 49 * hour, number=12)
    _fix(ledger, FixKind.SUGGESTIONS, 13, True, NOV + 72 * hour)
    _event(ledger, OutcomeKind.SUGGESTION_COMMITTED, NOV + 73 * hour, branch="iquest/issue-13",
           coauthors=("iquest[bot]",))
    _fix(ledger, FixKind.SUGGESTIONS, 14, False, NOV + 96 * hour)
    # Outside the month: the last hour of October, the first of December.
    _fix(ledger, FixKind.DRAFT_PR, 20, True, datetime(2026, 10, 31, 23, tzinfo=UTC))
    _fix(ledger, FixKind.DRAFT_PR, 21, False, datetime(2026, 12, 1, 0, tzinfo=UTC))
    for repo in (QUIET, OFF, BROKEN):
        _fix(ledger, FixKind.DRAFT_PR, 5, True, NOV, repo=repo)
    _fix(ledger, FixKind.DRAFT_PR, 5, True, NOV, repo=LEGACY, installation=None)


def _run(runtime: Runtime) -> dict[str, SummaryResult]:
    outcomes = post_monthly_summaries(runtime.ledger, runtime.github_for_repository, NOW)
    return {o.repository: o.result for o in outcomes}


def test_previous_month_is_the_calendar_month_before() -> None:
    assert previous_month(NOW.date()) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert previous_month(datetime(2027, 1, 1).date())[0] == datetime(2026, 12, 1, tzinfo=UTC)


def test_one_comment_with_last_months_figures_and_none_twice(
    runtime: Runtime, fake_github, caplog
) -> None:
    _november(runtime.ledger)
    with caplog.at_level(logging.INFO, logger="iquest.handlers.monthly_summary"):
        first = _run(runtime)
    # The legacy repository has no installation on record, so it is not reachable.
    assert first == {SHOP: SummaryResult.POSTED, QUIET: SummaryResult.OFF,
                     OFF: SummaryResult.OFF, BROKEN: SummaryResult.INVALID_SETTING}
    [comment] = fake_github.comments(SHOP, 1)
    body = comment.body
    assert body.startswith(summary_marker("2026-11"))
    assert "### iquest in November 2026" in body
    assert "5 fixes published in November 2026 (2 still open)." in body
    # verified 3/5, merged 2 of 3 decided, edited 1 and reverted 1 of 2 merged, 1 of 2
    # suggestion reviews committed, median of 5 h and 3 h.
    assert "| all | 5 | 60% | 67% | 50% | 50% | 50% | 4.0 h |" in body
    assert "| kind: draft_pr | 3 | 67% | 67% | 50% | 50% | – | 4.0 h |" in body
    assert "| kind: suggestions | 2 | 50% | – | – | – | 50% | – |" in body
    for repo in (QUIET, OFF, BROKEN, LEGACY):
        assert fake_github.comments(repo, 1) == []
    assert "monthly summary for acme/broken (2026-11) not posted" in caplog.text
    assert "`monthly_summary.issue`" in caplog.text
    assert runtime.ledger.summary_posted(SHOP, "2026-11")

    # A second check (tomorrow's, or a duplicated task) posts nothing more.
    assert _run(runtime)[SHOP] is SummaryResult.ALREADY_POSTED
    assert len(fake_github.comments(SHOP, 1)) == 1


def test_a_post_whose_record_was_lost_is_edited_not_repeated(runtime: Runtime, fake_github) -> None:
    _november(runtime.ledger)
    assert _run(runtime)[SHOP] is SummaryResult.POSTED
    [posted] = fake_github.comments(SHOP, 1)
    # As if the worker died after GitHub took the comment and before the ledger kept its row.
    with runtime.ledger.engine.begin() as connection:
        connection.execute(delete(MonthlySummary))
    assert _run(runtime)[SHOP] is SummaryResult.POSTED
    [again] = fake_github.comments(SHOP, 1)
    assert again.id == posted.id
    assert runtime.ledger.summary_posted(SHOP, "2026-11")


def test_a_failed_post_records_nothing_and_is_tried_again(runtime: Runtime, fake_github, caplog) -> None:
    _november(runtime.ledger)
    fake_github.commit_files(SHOP, "main", {".github/iquest.yml": "monthly_summary:\n  issue: 99\n"})
    with caplog.at_level(logging.WARNING, logger="iquest.handlers.monthly_summary"):
        assert _run(runtime)[SHOP] is SummaryResult.FAILED
    fake_github.pop_failures()  # the 404 on the missing issue is the point here
    assert "monthly summary for acme/shop (2026-11) not posted" in caplog.text
    assert not runtime.ledger.summary_posted(SHOP, "2026-11")
    fake_github.commit_files(SHOP, "main", {".github/iquest.yml": "monthly_summary:\n  issue: 1\n"})
    assert _run(runtime)[SHOP] is SummaryResult.POSTED
    assert len(fake_github.comments(SHOP, 1)) == 1


def test_nothing_is_posted_when_the_ledger_is_not_migrated(fake_github, tmp_path, caplog) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with caplog.at_level(logging.ERROR, logger="iquest.handlers.monthly_summary"):
            assert post_monthly_summaries(Ledger(engine), lambda *_: pytest.fail("no GitHub"), NOW) == []
    finally:
        engine.dispose()
    assert "iquest db upgrade" in caplog.text


@pytest.fixture
def worker_settings(database_url: str) -> dict[str, str]:
    upgrade(database_url)  # what `iquest db upgrade` does before the services start
    return {"IQUEST_DATABASE_URL": database_url}


def test_the_scheduled_task_posts_through_a_real_worker_once(
    fake_github, redis_server, worker, database_url
) -> None:
    """What `iquest beat` sends daily, run by `iquest worker`: last month is the real one."""
    fake_github.add_installation(INSTALLATION, "acme")
    fake_github.create_repo(SHOP, {".github/iquest.yml": "monthly_summary:\n  issue: 1\n"})
    fake_github.open_issue(SHOP, "Outcomes of the fix bot", "Monthly numbers go here.")
    start, _ = previous_month(datetime.now(UTC).date())
    engine = make_engine(database_url)
    try:
        _fix(Ledger(engine), FixKind.DRAFT_PR, 10, True, start + timedelta(days=2))
    finally:
        engine.dispose()
    app = create_celery(Settings(_env_file=None), redis_server.url)
    for attempt in (1, 2):  # the second is tomorrow's check, or a duplicated message
        app.send_task(MONTHLY_SUMMARY_TASK, queue=Settings(_env_file=None).queue_name)
        wait_until(lambda n=attempt: worker.log().count("monthly summary: 1 repositories checked") == n,
                   timeout=60, what=f"check {attempt} of the monthly summary")
    [comment] = fake_github.comments(SHOP, 1)
    assert f"1 fix published in {start:%B %Y} (1 still open)." in comment.body
    assert "| all | 1 | 100% | – | – | – | – | – |" in comment.body
    assert "1 posted" in worker.log() and "0 posted" in worker.log()
