"""Typed job messages: what the edge queues and a worker runs. They carry ids, never objects."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Job ids derive from the delivery id, so a redelivery maps to the job it already queued.
_JOB_ID_NAMESPACE = uuid.UUID("5b0c6a0e-8f5e-4e5e-9a57-1f0a2c7d9e11")


class JobKind(StrEnum):
    FIX_ISSUE = "fix_issue"
    FIX_PULL = "fix_pull"
    FIX_REVIEW_THREAD = "fix_review_thread"
    REVIEW_FOLLOWUP = "review_followup"
    HELP = "help"


class TriggerSource(StrEnum):
    """Where the trigger lives, which decides what gets the 👀 reaction."""

    ISSUE = "issue"  # a label on the issue itself
    ISSUE_COMMENT = "issue_comment"
    REVIEW_COMMENT = "review_comment"
    REVIEW = "review"


# Celery task names are explicit and dotted so moving code never strands queued messages.
TASK_NAMES: dict[JobKind, str] = {
    JobKind.FIX_ISSUE: "iquest.fix_issue",
    JobKind.FIX_PULL: "iquest.fix_pull",
    JobKind.FIX_REVIEW_THREAD: "iquest.fix_review_thread",
    JobKind.REVIEW_FOLLOWUP: "iquest.review_followup",
    JobKind.HELP: "iquest.help",
}


class Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: JobKind
    job_id: str
    delivery_id: str
    installation_id: int
    repo_full_name: str
    number: int
    source: TriggerSource
    sender_login: str
    comment_id: int | None = None
    review_id: int | None = None

    @property
    def task_name(self) -> str:
        return TASK_NAMES[self.kind]

    @property
    def owner(self) -> str:
        return self.repo_full_name.split("/", 1)[0]

    @property
    def repo(self) -> str:
        return self.repo_full_name.split("/", 1)[1]

    @property
    def target_key(self) -> str:
        """One lock per issue or pull request, so two jobs on it never race."""
        return f"{self.repo_full_name}#{self.number}"


def job_id_for_delivery(delivery_id: str) -> str:
    return uuid.uuid5(_JOB_ID_NAMESPACE, delivery_id).hex
