"""The receipt of a fix: what was run and shown to get it, assembled by `run` from what it knows.

A shared leaf like `verification`: run builds it, publish renders it (`publish/receipt.py`),
the ledger counts its `verified`. It claims nothing the run did not show: `verified` holds
only when the tests ran and showed nothing to correct.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.pipeline.verification import EnvironmentReceipt, Verification


@dataclass(frozen=True)
class CandidateNote:
    """One answer the model gave and what became of it."""

    index: int  # 1-based, in the order they were tried
    round: int  # 1: the first answer(s); 2: the correction round
    outcome: str  # one line: "tests: before 3 passed, 1 failed; after 4 passed" / why unusable


@dataclass(frozen=True)
class ModelUse:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Receipt:
    verification: Verification | None
    candidates: tuple[CandidateNote, ...] = ()
    winner: int = 0  # the CandidateNote.index of the fix published
    why_winner: str = ""
    model: ModelUse = ModelUse()
    files_shown: tuple[str, ...] = ()

    @property
    def environment(self) -> EnvironmentReceipt | None:
        """The cached test environment the tests ran in (key, built or reused, seconds)."""
        return self.verification.environment if self.verification is not None else None

    @property
    def verified(self) -> bool:
        """The tests ran, nothing regressed, no new test fails, and a new test (if any) reproduces."""
        return self.verification is not None and self.verification.clean

    @property
    def commands(self) -> tuple[str, ...]:
        v = self.verification
        return (*v.setup, v.command) if v is not None and v.ran and v.command else ()

    def unverified_reason(self) -> str:
        """Why `verified` does not hold, in a few words (the check run's title)."""
        v = self.verification
        if v is None:
            return "tests not considered"
        if not v.ran:
            return f"tests not run: {v.reason.rstrip('.')}"
        if v.regressions:
            return f"{len(v.regressions)} test(s) regressed"
        if v.failing_new:
            return "a new test fails with the fix"
        if v.unreproduced:
            return "the new test does not reproduce the bug"
        return ""
