"""Typed outcome events: what a webhook said about a fix, reduced at the edge to a few fields.

Built by the edge's trigger rules from payloads and carried in a ledger job to `workers.ledger`, so
this module imports nothing but pydantic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FixKind(StrEnum):
    """How a fix reached people."""

    DRAFT_PR = "draft_pr"  # an issue's draft pull request on iquest/issue-N
    SUGGESTIONS = "suggestions"  # one review with suggestion blocks on someone's pull request
    STACKED_PR = "stacked_pr"  # a draft pull request against someone's pull request branch
    FOLLOWUP = "followup"  # a follow-up commit on the app's own pull request


class OutcomeKind(StrEnum):
    MERGED = "merged"
    CLOSED = "closed"  # closed without merging
    REOPENED = "reopened"
    READY_FOR_REVIEW = "ready_for_review"
    EDITED = "edited"  # commits by people pushed on top of the app's, on its branch
    REVERTED = "reverted"  # a commit on the default branch reverting a merge commit
    SUGGESTION_COMMITTED = "suggestion_committed"  # a commit co-authored by the app's bot
    CHANGES_REQUESTED = "changes_requested"


class OutcomeEvent(BaseModel):
    """One fact about fixes in a repository. Which fields matter depends on `kind`:
    pull request events name `number` (and `merge_sha` when merged); pushes name the `branch`
    and, for a revert, the `reverted_shas`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: OutcomeKind
    at: datetime
    number: int | None = None
    branch: str = ""
    merge_sha: str = ""
    reverted_shas: tuple[str, ...] = ()
    commits: int = 0  # how many commits of people (EDITED) or co-authored (SUGGESTION_COMMITTED)
    coauthors: tuple[str, ...] = ()  # the bot logins named in `Co-authored-by:` trailers


def github_time(value: object) -> datetime:
    """GitHub's ISO times ("2026-12-08T01:02:03Z") in UTC; now when missing or unreadable."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)
