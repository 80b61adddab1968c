"""Writing the ledger: a fix when it is published, then each outcome event that concerns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from workers.intake.outcomes import FixKind, OutcomeEvent, OutcomeKind
from workers.ledger.models import Event, Fix, MonthlySummary

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
    installation_id: int | None = None  # how a periodic job reaches the repository later


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
                installation_id=record.installation_id,
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

    # --- the monthly summary (docs/ledger.md) ---------------------------------------------
    def installations(self) -> dict[str, int]:
        """Each repository in the ledger with the installation of its latest fix that names one."""
        newest = (select(Fix.repository, func.max(Fix.id).label("id"))
                  .where(Fix.installation_id.is_not(None)).group_by(Fix.repository).subquery())
        query = (select(Fix.repository, Fix.installation_id)
                 .join(newest, Fix.id == newest.c.id).order_by(Fix.repository))
        with self._sessions() as session:
            return {repo: int(inst) for repo, inst in session.execute(query) if inst is not None}

    def summary_posted(self, repository: str, month: str) -> bool:
        with self._sessions() as session:
            return session.scalar(select(MonthlySummary.id).where(
                MonthlySummary.repository == repository.lower(),
                MonthlySummary.month == month)) is not None

    def post_summary_once(self, repository: str, month: str, issue_number: int,
                          post: Callable[[], int]) -> bool:
        """Run `post` (which returns the comment's id) unless this month's summary is recorded.

        The row is written in the same transaction as the post: the unique (repository, month)
        index makes a concurrent duplicate wait and then fail, and a failed post leaves no row,
        so tomorrow's check tries again. False: already posted, nothing done.
        """
        repository = repository.lower()
        try:
            with self._sessions.begin() as session:
                if session.scalar(select(MonthlySummary.id).where(
                        MonthlySummary.repository == repository, MonthlySummary.month == month)):
                    return False
                row = MonthlySummary(repository=repository, month=month,
                                     issue_number=issue_number, posted_at=self._now())
                session.add(row)
                session.flush()  # takes the unique key before anything is posted
                row.comment_id = post()
        except IntegrityError:
            return False  # a duplicate job recorded it first
        return True


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
