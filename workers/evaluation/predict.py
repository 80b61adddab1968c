"""The app's own fix as a prediction: the pipeline `iquest repair` runs (localize, pack, model,
apply, the app's own verification without the hidden tests), metered per instance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.handlers.context import VerifyServices, limits_for, verifier_for
from workers.intake.repo_config import CONFIG_PATH, parse_repo_config
from workers.model.port import ChatModel, Tokenizer
from workers.model.reply import ChatMessage, ModelError, ModelReply
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.run import propose_fix


class MeteredModel:
    """Counts tokens and seconds of every model call (one instance's, so not shared)."""

    def __init__(self, model: ChatModel):
        self.model = model
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def _count(self, replies: list[ModelReply], started: float) -> None:
        with self._lock:
            self.calls += 1
            self.seconds += time.monotonic() - started
            for reply in replies:
                self.prompt_tokens += reply.prompt_tokens
                self.completion_tokens += reply.completion_tokens

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply:
        started = time.monotonic()
        reply = self.model.complete(messages, max_tokens=max_tokens)
        self._count([reply], started)
        return reply

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        many = getattr(self.model, "complete_many", None)
        if many is None:
            return []
        started = time.monotonic()
        replies = list(many(messages, max_tokens, n))
        self._count(replies, started)
        return replies


@dataclass(frozen=True)
class PipelineResult:
    patch: str
    status: str  # the pipeline's FixStatus
    app_verdict: str  # verified, tests_failed, unverified, or the status when no fix
    app_verification: str  # why the app's own tests did not run, or what they showed
    reason: str
    prompt_tokens: int
    completion_tokens: int
    model_seconds: float
    model_calls: int


def app_verdict(outcome: FixOutcome) -> str:
    """What the app itself said of its fix before any hidden test ran."""
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        return outcome.status.value
    verification = outcome.proposal.verification
    if verification is None or not verification.ran:
        return "unverified"
    return "verified" if verification.clean else "tests_failed"


def issue_text(problem_statement: str) -> IssueText:
    title, _, body = problem_statement.strip().partition("\n")
    return IssueText(number=0, title=title.strip() or "(no title)", body=body.strip())


def predict(
    tree: Path,
    repository: str,
    problem_statement: str,
    model: ChatModel,
    tokenizer: Tokenizer,
    context_tokens: int,
    verification: VerifyServices | None,
    progress: Callable[[str], None] = lambda message: None,
    narrow_tokens: int = 0,
) -> PipelineResult:
    """The app's pipeline on one instance; `narrow_tokens` > 0 turns on model-assisted
    narrowing as `IQUEST_CONTEXT_NARROWING` does in a worker (docs/context.md)."""
    config_file = tree / CONFIG_PATH
    loaded = parse_repo_config(config_file.read_text() if config_file.is_file() else None)
    metered = MeteredModel(model)
    try:
        outcome = propose_fix(
            tree,
            repository,
            issue_text(problem_statement),
            metered,
            tokenizer,
            context_tokens,
            limits_for(loaded.config),
            progress=progress,
            verify=verifier_for(verification, loaded.config),
            narrow_tokens=narrow_tokens,
        )
    except ModelError as error:
        outcome = FixOutcome(FixStatus.FAILED, reason=str(error))
    patch = outcome.proposal.diff if outcome.status is FixStatus.PROPOSED and outcome.proposal else ""
    verification = outcome.proposal.verification if outcome.proposal else None
    return PipelineResult(
        patch=patch,
        status=outcome.status.value,
        app_verdict=app_verdict(outcome),
        app_verification=_verification_note(verification),
        reason=outcome.reason,
        prompt_tokens=metered.prompt_tokens,
        completion_tokens=metered.completion_tokens,
        model_seconds=round(metered.seconds, 3),
        model_calls=metered.calls,
    )


def _verification_note(verification) -> str:  # type: ignore[no-untyped-def]
    if verification is None:
        return ""
    if not verification.ran:
        return verification.reason[:500]
    parts = [f"`{verification.command}`"]
    if verification.regressions:
        parts.append(f"{len(verification.regressions)} regressions")
    if verification.reproducing:
        parts.append(f"{len(verification.reproducing)} reproducing")
    if verification.failing_new:
        parts.append(f"{len(verification.failing_new)} new tests failing")
    return ", ".join(parts)
