"""The ledger's writes from a worker: a fix is recorded best effort, an outcome job retries while
the database is unreachable; counted on the worker's real metrics registry."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from workers.handlers.ledger import FixRecorder, LedgerUnavailable, record_outcome
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.intake.outcomes import FixKind, OutcomeEvent, OutcomeKind
from workers.ledger.database import make_engine, upgrade
from workers.ledger.store import FixRecord, Ledger
from workers.operations.metrics import WorkerMetrics

RECORD = FixRecord(FixKind.DRAFT_PR, "acme/shop", 4, True, "iquest/issue-1")
MERGED = OutcomeEvent(kind=OutcomeKind.MERGED, at=datetime(2026, 12, 8, tzinfo=UTC), number=4,
                      merge_sha="a" * 40)
JOB = Job(kind=JobKind.LEDGER, job_id="j", delivery_id="d", installation_id=1,
          repo_full_name="acme/shop", number=4, source=TriggerSource.API, sender_login="alice",
          outcome=MERGED)


def _value(metrics: WorkerMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_a_fix_and_its_outcome_are_recorded_and_counted(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    upgrade(url)
    metrics, ledger = WorkerMetrics(), Ledger(make_engine(url))
    assert FixRecorder(ledger, metrics)(RECORD) == 1
    assert record_outcome(JOB, MERGED, ledger, metrics) == [1]
    assert _value(metrics, "iquest_fixes_published_total", kind="draft_pr", verified="true") == 1
    assert _value(metrics, "iquest_fix_outcomes_total", kind="draft_pr", outcome="merged") == 1


def test_an_unmigrated_ledger_does_not_stop_a_fix(tmp_path) -> None:
    metrics = WorkerMetrics()
    ledger = Ledger(make_engine(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"))
    assert FixRecorder(ledger, metrics)(RECORD) is None
    assert _value(metrics, "iquest_ledger_write_errors_total") == 1
    assert _value(metrics, "iquest_fixes_published_total", kind="draft_pr", verified="true") == 1


def test_an_unreachable_database_makes_the_outcome_job_retry() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = WorkerMetrics()
    ledger = Ledger(make_engine(f"postgresql+psycopg://iquest@127.0.0.1:{port}/iquest?connect_timeout=2"))
    with pytest.raises(LedgerUnavailable, match="ledger database"):
        record_outcome(JOB, MERGED, ledger, metrics)
    assert _value(metrics, "iquest_ledger_write_errors_total") == 1
