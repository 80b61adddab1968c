"""Writing the ledger: a fix when it is published, then each outcome event that concerns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session, sessionmaker

from workers.intake.outcomes import FixKind, OutcomeEvent, OutcomeKind
from workers.ledger.models import Event, Fix

# Outcomes of a pull request apply to the fixes that live in it as its own commits.
_PULL_KINDS = (FixKind.DRAFT_PR.value, FixKind.STACKED_PR.value, FixKind.FOLLOWUP.value)


class OutcomeState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


@dataclass(frozen=True)
class FixRecord:
    """What publishing knows about a fix."""

    kind: FixKind
    repository: str
    number: int  # the pull request it lives in or was suggested on
    verified: bool
    branch: str = ""  # that pull request's head branch
    issue_number: int | None = None
    review_id: int | None = None
    head_sha: str = ""
    job_id: str = ""
    created_at: datetime | None = None


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the ledger stores is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Ledger:
    """The ledger over one engine; every call is its own transaction."""

    def __init__(self, engine: Engine, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._now = now

    def record_fix(self, record: FixRecord) -> int:
        with self._sessions.begin() as session:
            fix = Fix(
                kind=record.kind.value,
                repository=record.repository.lower(),
                number=record.number,
                issue_number=record.issue_number,
                branch=record.branch,
                review_id=record.review_id,
                head_sha=record.head_sha,
                verified=record.verified,
                job_id=record.job_id,
                created_at=record.created_at or self._now(),
                state=OutcomeState.OPEN,
                merge_sha="",
                edited_before_merge=False,
                suggestions_committed=False,
                changes_requested=0,
            )
            session.add(fix)
            session.flush()
            return fix.id

    def apply(self, repository: str, outcome: OutcomeEvent) -> list[int]:
        """Record the event on every fix it concerns; the ids of those fixes (none: not ours)."""
        with self._sessions.begin() as session:
            fixes = _concerned(session, repository.lower(), outcome)
            for fix in fixes:
                _update(fix, outcome)
                session.add(Event(fix_id=fix.id, kind=outcome.kind.value, at=outcome.at,
                                  detail=outcome.model_dump_json(exclude={"kind", "at"})))
            return [fix.id for fix in fixes]

    def kinds_of(self, ids: list[int]) -> list[str]:
        """The kind of each fix (for the outcome counters)."""
        if not ids:
            return []
        with self._sessions() as session:
            return list(session.scalars(select(Fix.kind).where(Fix.id.in_(ids)).order_by(Fix.id)))

    def fixes(self) -> list[Fix]:
        with self._sessions() as session:
            return list(session.scalars(select(Fix).order_by(Fix.id)))


def _concerned(session: Session, repository: str, outcome: OutcomeEvent) -> list[Fix]:
    query = select(Fix).where(Fix.repository == repository)
    kind = outcome.kind
    if kind in (OutcomeKind.MERGED, OutcomeKind.CLOSED, OutcomeKind.REOPENED,
                OutcomeKind.READY_FOR_REVIEW, OutcomeKind.CHANGES_REQUESTED):
        if outcome.number is None:
            return []
        query = query.where(Fix.number == outcome.number, Fix.kind.in_(_PULL_KINDS))
    elif kind is OutcomeKind.EDITED:
        # Only commits pushed while the pull request is open count as edits before merge.
        query = query.where(Fix.branch == outcome.branch, Fix.kind.in_(_PULL_KINDS),
                            Fix.state == OutcomeState.OPEN)
    elif kind is OutcomeKind.REVERTED:
        shas = [sha for sha in outcome.reverted_shas if len(sha) >= 7]
        if not shas:
            return []
        # "This reverts commit <sha>" names the full sha; a short one still finds its merge.
        query = query.where(Fix.merge_sha != "", or_(*(Fix.merge_sha.startswith(s) for s in shas)))
    elif kind is OutcomeKind.SUGGESTION_COMMITTED:
        query = query.where(Fix.branch == outcome.branch, Fix.kind == FixKind.SUGGESTIONS.value)
    return list(session.scalars(query.order_by(Fix.id)))


def _update(fix: Fix, outcome: OutcomeEvent) -> None:
    kind = outcome.kind
    if kind is OutcomeKind.MERGED:
        fix.state, fix.merged_at, fix.closed_at = OutcomeState.MERGED, outcome.at, outcome.at
        fix.merge_sha = outcome.merge_sha
    elif kind is OutcomeKind.CLOSED:
        fix.state, fix.closed_at = OutcomeState.CLOSED, outcome.at
    elif kind is OutcomeKind.REOPENED:
        fix.state, fix.closed_at = OutcomeState.OPEN, None
    elif kind is OutcomeKind.EDITED:
        fix.edited_before_merge = True
    elif kind is OutcomeKind.REVERTED:
        fix.reverted_at = fix.reverted_at or outcome.at
    elif kind is OutcomeKind.SUGGESTION_COMMITTED:
        fix.suggestions_committed = True
    elif kind is OutcomeKind.CHANGES_REQUESTED:
        fix.changes_requested += 1
