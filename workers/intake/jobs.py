"""Typed job messages: what the edge queues and a worker runs. They carry ids, never objects."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from workers.intake.outcomes import OutcomeEvent

# Job ids derive from the delivery id, so a redelivery maps to the job it already queued.
_JOB_ID_NAMESPACE = uuid.UUID("5b0c6a0e-8f5e-4e5e-9a57-1f0a2c7d9e11")


class JobKind(StrEnum):
    FIX_ISSUE = "fix_issue"
    FIX_PULL = "fix_pull"
    FIX_REVIEW_THREAD = "fix_review_thread"
    REVIEW_FOLLOWUP = "review_followup"
    CI_FOLLOWUP = "ci_followup"  # a failed check run on the app's own draft PR
    HELP = "help"
    CANCEL = "cancel"  # `/iquest cancel`, or the issue closed / label removed before a fix ran
    REPAIR = "repair"  # POST /repair: files and an issue from the caller, no GitHub
    FIX_ALERT = "fix_alert"  # a code-scanning alert on the default branch; `number` is the alert's
    LEDGER = "ledger"  # what became of a fix (merged, closed, edited, reverted…): a ledger write


class TriggerSource(StrEnum):
    """Where the trigger lives, which decides what gets the 👀 reaction."""

    ISSUE = "issue"  # a label on the issue itself
    ISSUE_COMMENT = "issue_comment"
    REVIEW_COMMENT = "review_comment"
    REVIEW = "review"
    CHECK_RUN = "check_run"  # CI finished; no person to react to
    API = "api"  # POST /repair; nothing on GitHub to react to
    CODE_SCANNING = "code_scanning"  # an alert raised by a scanner; no person to react to


class CancelReason(StrEnum):
    REQUESTED = "requested"  # `/iquest cancel`
    CLOSED = "closed"  # the issue or pull request was closed
    UNLABELED = "unlabeled"  # the trigger label was removed


class CheckButton(StrEnum):
    """The buttons on the app's `iquest` check run; the value is the action's identifier."""

    RETRY = "retry"
    DRAFT_PR = "draft_pr"  # "Open as draft PR", after suggestions
    SUGGESTIONS = "suggestions"  # "Post as suggestions", after a stacked PR when they fit


# Celery task names are explicit and dotted so moving code never strands queued messages.
TASK_NAMES: dict[JobKind, str] = {
    JobKind.FIX_ISSUE: "iquest.fix_issue",
    JobKind.FIX_PULL: "iquest.fix_pull",
    JobKind.FIX_REVIEW_THREAD: "iquest.fix_review_thread",
    JobKind.REVIEW_FOLLOWUP: "iquest.review_followup",
    JobKind.CI_FOLLOWUP: "iquest.ci_followup",
    JobKind.HELP: "iquest.help",
    JobKind.CANCEL: "iquest.cancel",
    JobKind.REPAIR: "iquest.repair",
    JobKind.FIX_ALERT: "iquest.fix_alert",
    JobKind.LEDGER: "iquest.ledger",
}

# Jobs that never touch GitHub, so they carry no installation, repository or sender.
GITHUBLESS_KINDS = frozenset({JobKind.REPAIR})
_GITHUB_FIELDS = ("installation_id", "repo_full_name", "number", "sender_login")


class Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: JobKind
    job_id: str
    delivery_id: str
    # Required for every kind that acts on GitHub (checked below); optional only so an
    # API job need not invent a repository. Messages queued before API jobs existed
    # carry them all and still validate.
    installation_id: int | None = None
    repo_full_name: str | None = None
    number: int | None = None
    source: TriggerSource
    sender_login: str | None = None
    comment_id: int | None = None
    review_id: int | None = None
    # Optional so messages queued before CI follow-ups existed still validate.
    check_run_id: int | None = None
    cancel_reason: CancelReason | None = None
    pressed: CheckButton | None = None  # the check run button that asked for this job
    # A fact for the outcome ledger (a LEDGER job's whole content; a review follow-up's
    # "changes requested" rides along). Facts, not ids: the ledger job makes no GitHub call.
    outcome: OutcomeEvent | None = None

    @model_validator(mode="after")
    def _github_ids_present(self) -> Job:
        if self.kind not in GITHUBLESS_KINDS:
            missing = [name for name in _GITHUB_FIELDS if getattr(self, name) is None
                       # a push names a branch, not an issue or pull request
                       and not (name == "number" and self.kind is JobKind.LEDGER)]
            if missing:
                raise ValueError(f"a {self.kind} job needs {', '.join(missing)}")
        return self

    @property
    def task_name(self) -> str:
        return TASK_NAMES[self.kind]

    @property
    def owner(self) -> str:
        return self._full_name.split("/", 1)[0]

    @property
    def repo(self) -> str:
        return self._full_name.split("/", 1)[1]

    @property
    def _full_name(self) -> str:
        if self.repo_full_name is None:
            raise ValueError(f"a {self.kind} job has no repository")
        return self.repo_full_name

    @property
    def target_key(self) -> str:
        """One lock per issue or pull request, so two jobs on it never race."""
        if self.repo_full_name is None:
            return f"{self.kind}:{self.job_id}"
        if self.kind is JobKind.FIX_ALERT:  # alert numbers are not issue numbers
            return f"{self.repo_full_name}!alert-{self.number}"
        return f"{self.repo_full_name}#{self.number}"


def job_id_for_delivery(delivery_id: str) -> str:
    return uuid.uuid5(_JOB_ID_NAMESPACE, delivery_id).hex
