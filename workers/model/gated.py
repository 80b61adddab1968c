"""A ChatModel that takes a shared model slot per call and keeps one job within its token budget.

Built per job where adapters are built, so the pipeline keeps calling the plain port.
"""

from __future__ import annotations

from collections.abc import Callable

from workers.model.port import ChatModel
from workers.model.reply import ChatMessage, ModelError, ModelReply
from workers.model.slots import ModelSlots, SlotWaitTimeout


class TokenBudgetExceeded(ModelError):
    """The job has spent its prompt + completion tokens; retrying would spend more."""


class GatedModel:
    def __init__(
        self,
        inner: ChatModel,
        slots: ModelSlots,
        token_budget: int | None = None,
        on_wait: Callable[[int], None] | None = None,
        before_call: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self._slots = slots
        self._budget = token_budget
        self._on_wait = on_wait
        # Runs before every call, e.g. to stop a cancelled job before it spends tokens.
        self._before_call = before_call
        # Called when a call that had to wait got its slot, to take the "waiting" back.
        self._on_resume = on_resume
        self.tokens_used = 0

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply:
        [reply] = self._gated(lambda: [self._inner.complete(messages, max_tokens)])
        return reply

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        """Several samples in one request (the server's `n`) hold one slot, like one call."""
        many = getattr(self._inner, "complete_many", None)
        if many is None:
            return []  # the caller tops up with single calls, each gated
        return self._gated(lambda: list(many(messages, max_tokens, n)))

    def _gated(self, call: Callable[[], list[ModelReply]]) -> list[ModelReply]:
        if self._before_call is not None:
            self._before_call()
        if self._budget is not None and self.tokens_used >= self._budget:
            raise TokenBudgetExceeded(
                f"this job has used its budget of {self._budget:,} model tokens "
                f"({self.tokens_used:,} so far)."
            )
        waited: list[int] = []

        def wait(ahead: int) -> None:
            waited.append(ahead)
            if self._on_wait is not None:
                self._on_wait(ahead)

        try:
            with self._slots.held(wait):
                if waited and self._on_resume is not None:
                    self._on_resume()
                replies = call()
        except SlotWaitTimeout as error:
            raise ModelError(f"the model is busy with other jobs: {error}", transient=True) from error
        # Counted from what the server says it used, across repair rounds and samples.
        self.tokens_used += sum(r.prompt_tokens + r.completion_tokens for r in replies)
        return replies
