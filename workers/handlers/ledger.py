"""The ledger's two writes from a worker: a fix when it is published, an outcome when a webhook says.

Recording a fix is best effort (the fix is out either way; a failure is logged and counted);
an outcome job retries while the database is unreachable.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from workers.intake.jobs import Job
from workers.intake.outcomes import OutcomeEvent
from workers.ledger.database import LedgerError
from workers.ledger.store import FixRecord, Ledger
from workers.pipeline.proposal import FixProposal

log = logging.getLogger("iquest.handlers.ledger")


def is_verified(proposal: FixProposal) -> bool:
    """What the ledger calls verified: the tests ran and showed nothing to correct."""
    return proposal.verification is not None and proposal.verification.clean


class LedgerMetrics(Protocol):
    def count_fix_published(self, kind: str, verified: bool) -> None: ...

    def count_fix_outcome(self, kind: str, outcome: str) -> None: ...

    def count_ledger_error(self) -> None: ...


class LedgerUnavailable(RuntimeError):
    """The database did not answer: worth retrying the outcome job later."""


class FixRecorder:
    """What publishing handlers call; None for the ledger (as in `iquest fix`) records nothing."""

    def __init__(self, ledger: Ledger | None, metrics: LedgerMetrics | None = None) -> None:
        self._ledger = ledger
        self._metrics = metrics

    def __call__(self, record: FixRecord) -> int | None:
        if self._metrics is not None:
            self._metrics.count_fix_published(record.kind.value, record.verified)
        if self._ledger is None:
            return None
        try:
            return self._ledger.record_fix(record)
        except (LedgerError, SQLAlchemyError) as error:
            if self._metrics is not None:
                self._metrics.count_ledger_error()
            log.error("could not record the fix on %s#%d in the ledger: %s",
                      record.repository, record.number, error)
            return None


def record_outcome(job: Job, outcome: OutcomeEvent, ledger: Ledger, metrics: LedgerMetrics) -> list[int]:
    """Write the job's outcome on the fixes it concerns (none: the webhook was about no fix of ours)."""
    try:
        ids = ledger.apply(job.repo_full_name or "", outcome)
    except OperationalError as error:
        metrics.count_ledger_error()
        raise LedgerUnavailable(f"ledger database: {error.orig or error}") from error
    except (LedgerError, SQLAlchemyError) as error:
        metrics.count_ledger_error()
        log.error("could not record %s in the ledger: %s", outcome.kind.value, error)
        return []
    kinds = ledger.kinds_of(ids)
    for kind in kinds:
        metrics.count_fix_outcome(kind, outcome.kind.value)
    log.info("ledger: %s on %s recorded for %d fix(es)", outcome.kind.value, job.repo_full_name, len(ids))
    return ids
