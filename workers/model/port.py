"""The model ports the pipeline depends on: Protocols only, no client code."""

from __future__ import annotations

from typing import Protocol

from workers.model.reply import ChatMessage, ModelReply


class Tokenizer(Protocol):
    """Counts tokens the way the model will, so prompts can be budgeted before sending."""

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` takes in the model's prompt."""
        ...


class ChatModel(Protocol):
    """A chat completion with the model card's sampling; reasoning is kept out of `text`."""

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply: ...


class SamplingChatModel(ChatModel, Protocol):
    """A chat model that can draw several samples in one request (the server's `n`)."""

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        """Up to n replies; fewer or none when the server cannot: the caller tops up."""
        ...
