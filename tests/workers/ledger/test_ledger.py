"""The ledger on SQLite and on a real PostgreSQL: migrations, fixes, outcomes, the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from workers.intake.outcomes import FixKind, OutcomeEvent, OutcomeKind
from workers.ledger.database import (
    LedgerError,
    current_revision,
    head_revision,
    ledger_url,
    make_engine,
    require_current,
    upgrade,
)
from workers.ledger.models import Base
from workers.ledger.report import build_report, parse_since, select_fixes
from workers.ledger.store import FixRecord, Ledger

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REPO = "acme/shop"


@pytest.fixture
def ledger(database_url: str):
    assert upgrade(database_url) == head_revision()
    engine = make_engine(database_url)
    yield Ledger(engine)
    engine.dispose()


def _event(kind: OutcomeKind, hours: float, **fields) -> OutcomeEvent:
    return OutcomeEvent(kind=kind, at=T0 + timedelta(hours=hours), **fields)


def test_the_migrations_create_exactly_the_models_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(LedgerError, match="iquest db upgrade"):
            require_current(engine)
        upgrade(database_url)
        upgrade(database_url)  # a second run is a no-op
        assert current_revision(engine) == head_revision()
        require_current(engine)
        found = inspect(engine)
        for table in Base.metadata.sorted_tables:
            assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys())
            assert {i["name"] for i in found.get_indexes(table.name)} == {i.name for i in table.indexes}
    finally:
        engine.dispose()


def test_outcomes_land_on_the_fixes_they_concern_and_the_report_counts_them(ledger: Ledger) -> None:
    merged = ledger.record_fix(FixRecord(FixKind.DRAFT_PR, "Acme/Shop", 10, True, "iquest/issue-1",
                                         issue_number=1, created_at=T0))
    closed = ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 11, False, "iquest/issue-2",
                                         issue_number=2, created_at=T0))
    suggested = ledger.record_fix(FixRecord(FixKind.SUGGESTIONS, REPO, 12, True, "feature/x",
                                            review_id=99, created_at=T0))
    ledger.record_fix(FixRecord(FixKind.STACKED_PR, "acme/other", 3, False, "iquest/pr-2", created_at=T0))

    assert ledger.apply(REPO, _event(OutcomeKind.CHANGES_REQUESTED, 1, number=10)) == [merged]
    assert ledger.apply(REPO, _event(OutcomeKind.EDITED, 2, branch="iquest/issue-1", commits=1)) == [merged]
    assert ledger.apply(REPO, _event(OutcomeKind.MERGED, 5, number=10, merge_sha="a" * 40)) == [merged]
    assert ledger.apply(REPO, _event(OutcomeKind.CLOSED, 6, number=11)) == [closed]
    # An edit after merge (the branch lives on) is not an edit before merge of anything open.
    assert ledger.apply(REPO, _event(OutcomeKind.EDITED, 7, branch="iquest/issue-2")) == []
    assert ledger.apply(REPO, _event(OutcomeKind.SUGGESTION_COMMITTED, 8, branch="feature/x",
                                     coauthors=("iquest[bot]",))) == [suggested]
    assert ledger.apply(REPO, _event(OutcomeKind.REVERTED, 30, reverted_shas=("a" * 12,))) == [merged]
    # Not ours: another repository's pull request with the same number, an unknown sha.
    assert ledger.apply("acme/other", _event(OutcomeKind.MERGED, 5, number=10)) == []
    assert ledger.apply(REPO, _event(OutcomeKind.REVERTED, 9, reverted_shas=("b" * 40,))) == []

    report = build_report(select_fixes(ledger.engine, None, None))
    assert report["totals"] == {
        "fixes": 4, "verified": 2, "open": 2, "merged": 1, "closed": 1,
        "edited_before_merge": 1, "reverted": 1, "suggestions_committed": 1,
        "median_hours_to_merge": 5.0,
    }
    assert report["by_kind"]["draft_pr"]["fixes"] == 2
    assert report["by_kind"]["suggestions"]["suggestions_committed"] == 1
    assert set(report["repositories"]) == {"acme/shop", "acme/other"}
    assert report["repositories"]["acme/other"]["open"] == 1
    only = build_report(select_fixes(ledger.engine, None, "ACME/other"))
    assert only["totals"]["fixes"] == 1


def test_reopening_undoes_a_close_and_since_filters_by_publish_time(ledger: Ledger) -> None:
    old = ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 1, False, "iquest/issue-1",
                                      created_at=T0 - timedelta(days=40)))
    ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 2, True, "iquest/issue-2", created_at=T0))
    ledger.apply(REPO, _event(OutcomeKind.CLOSED, 1, number=1))
    ledger.apply(REPO, _event(OutcomeKind.REOPENED, 2, number=1))
    [fix] = [f for f in ledger.fixes() if f.id == old]
    assert fix.state == "open" and fix.closed_at is None
    recent = build_report(select_fixes(ledger.engine, T0 - parse_since("30d"), None))
    assert recent["totals"]["fixes"] == 1 and recent["totals"]["verified"] == 1


def test_the_default_database_is_sqlite_in_the_data_folder(tmp_path) -> None:
    assert ledger_url(None, tmp_path) == f"sqlite:///{tmp_path.resolve() / 'ledger.sqlite3'}"
    assert ledger_url("postgresql://u:p@db/iquest", tmp_path).startswith("postgresql+psycopg://u:p@db/")
    with pytest.raises(LedgerError, match="sqlite and postgresql"):
        ledger_url("mysql://db/iquest", tmp_path)
    with pytest.raises(LedgerError, match="not a database URL"):
        ledger_url("::nonsense::", tmp_path)
    with pytest.raises(ValueError, match="30d"):
        parse_since("a month")


def test_the_table_reads_percentages_of_the_right_whole(ledger: Ledger) -> None:
    from workers.ledger.report import render_report

    ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 1, True, "iquest/issue-1", created_at=T0))
    ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 2, False, "iquest/issue-2", created_at=T0))
    ledger.record_fix(FixRecord(FixKind.DRAFT_PR, REPO, 3, False, "iquest/issue-3", created_at=T0))
    ledger.apply(REPO, _event(OutcomeKind.MERGED, 3, number=1, merge_sha="c" * 40))
    ledger.apply(REPO, _event(OutcomeKind.CLOSED, 4, number=2))
    text = render_report(build_report(select_fixes(ledger.engine, None, None)), "30 days")
    assert "Fixes published in the last 30 days (1 still open)." in text
    # 3 fixes, 1 verified (33%), merged 1 of the 2 decided (50%), none edited or reverted.
    assert "| all | 3 | 33% | 50% | 0% | 0% | 0 | 3.0 h |" in text
    assert "| kind: draft_pr | 3 |" in text and "| acme/shop | 3 |" in text
