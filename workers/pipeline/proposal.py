"""The computed fix: what the model said and the exact file changes, before anything is published."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workers.pipeline.receipt import Receipt
from workers.pipeline.verification import Verification


class FixStatus(StrEnum):
    PROPOSED = "proposed"  # edits applied and validated
    NO_CHANGE = "no_change"  # the model found nothing to edit
    REFUSED = "refused"  # the edits broke a rule (limits, denied paths) or never applied
    FAILED = "failed"  # the model or a service failed


@dataclass(frozen=True)
class FixProposal:
    root_cause: str
    explanation: str
    tests: str
    # path → new text, or None to delete; produced by applying the edits to real files.
    changes: dict[str, str | None]
    # The unified diff of `changes`, generated from the files, never the model's text.
    diff: str
    executable: frozenset[str] = frozenset()
    # None: no verifier was given (tests never considered); else what running them showed.
    verification: Verification | None = None
    # The repository's guidance files the prompt carried, nearest first (issue 24).
    guidance_files: tuple[str, ...] = ()
    # What was run and shown to get this fix (run.propose_fix fills it in).
    receipt: Receipt | None = None

    @property
    def changed_lines(self) -> int:
        return sum(
            1
            for line in self.diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )


@dataclass(frozen=True)
class FixOutcome:
    status: FixStatus
    proposal: FixProposal | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
