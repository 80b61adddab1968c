"""The ledger's tables (SQLAlchemy 2 declarative): one row per fix, one per outcome event.

Changing a table needs a migration in `migrations/versions/` too (a test compares them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Fix(Base):
    """A fix as published, and the state people left it in. Times are UTC."""

    __tablename__ = "fixes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # FixKind
    repository: Mapped[str] = mapped_column(String(200))  # owner/name, lower case
    # The pull request the fix lives in (its own, or the one it suggested on / stacked on).
    number: Mapped[int] = mapped_column(BigInteger)
    issue_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    branch: Mapped[str] = mapped_column(String(255), default="")  # the PR's head branch
    review_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    head_sha: Mapped[str] = mapped_column(String(64), default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # open | merged | closed (OutcomeState)
    state: Mapped[str] = mapped_column(String(16), default="open")
    merged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    merge_sha: Mapped[str] = mapped_column(String(64), default="")
    edited_before_merge: Mapped[bool] = mapped_column(Boolean, default=False)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    suggestions_committed: Mapped[bool] = mapped_column(Boolean, default=False)
    changes_requested: Mapped[int] = mapped_column(Integer, default=0)
    # The installation that published it: how a periodic job (the monthly summary) reaches the
    # repository without a webhook. None for fixes recorded before migration 0002.
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    events: Mapped[list[Event]] = relationship(back_populates="fix", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_fixes_repository_number", "repository", "number"),
        Index("ix_fixes_repository_branch", "repository", "branch"),
        Index("ix_fixes_created_at", "created_at"),
    )


class Event(Base):
    """What happened to a fix, as the webhook said (kept for audit; the fix row is the summary)."""

    __tablename__ = "fix_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fix_id: Mapped[int] = mapped_column(ForeignKey("fixes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # OutcomeKind
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")

    fix: Mapped[Fix] = relationship(back_populates="events")


class MonthlySummary(Base):
    """A monthly summary comment posted on a repository's issue: one per repository and month,
    so a retried or duplicated job posts nothing twice."""

    __tablename__ = "monthly_summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repository: Mapped[str] = mapped_column(String(200))  # owner/name, lower case
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month summarised
    issue_number: Mapped[int] = mapped_column(BigInteger)
    comment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ux_monthly_summaries_repository_month", "repository", "month", unique=True),
    )
