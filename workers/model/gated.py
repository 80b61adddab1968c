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
                reply = self._inner.complete(messages, max_tokens)
        except SlotWaitTimeout as error:
            raise ModelError(f"the model is busy with other jobs: {error}", transient=True) from error
        # Counted from what the server says it used, across repair rounds.
        self.tokens_used += reply.prompt_tokens + reply.completion_tokens
        return reply
