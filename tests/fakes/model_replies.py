"""What the scripted model server answers: the reply types a test scripts, the request it
records, and the OpenAI-shaped bodies (completions, stream chunks) built from them."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MODEL = "IQuestLab/IQuest-Coder-V1-40B-Instruct"
TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")


def count_fake_tokens(text: str) -> int:
    """The fake's tokenizer: one token per word or punctuation mark (deterministic, simple)."""
    return len(TOKEN_PATTERN.findall(text))


# How long a held reply waits for its gate before the server gives up and complains.
HOLD_LIMIT_SECONDS = 120.0


@dataclass(frozen=True)
class ChatReply:
    """A well-formed chat completion; streamed when the request asks for it.

    With `hold`, the answer is sent only once the test sets that event (a model call the test
    can interrupt, e.g. by killing the worker process that made it).
    """

    content: str
    reasoning: str | None = None
    finish_reason: str = "stop"
    delay_seconds: float = 0.0
    hold: threading.Event | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI-style error body (or any body given)."""

    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class RawReply:
    """Bytes sent as they are: malformed JSON, a wrong shape, an HTML error page."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    # Send only this many bytes of the body (Content-Length still announces all), then close:
    # a server or proxy that dies mid-answer.
    cut_after: int | None = None


Reply = ChatReply | ErrorReply | RawReply
# Answers a chat request (its JSON body) when no scripted reply is queued; None: unexpected.
Responder = Callable[[dict], "Reply | None"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None



def completion_body(
    reply: ChatReply, payload: dict, extra: Sequence[ChatReply] = (),
    reasoning_field: str = "reasoning_content",
) -> dict:
    choices = []
    for index, each in enumerate((reply, *extra)):
        message: dict[str, Any] = {"role": "assistant", "content": each.content}
        if each.reasoning:
            message[reasoning_field] = each.reasoning
        choices.append({"index": index, "message": message, "finish_reason": each.finish_reason})
    prompt_tokens = sum(count_fake_tokens(str(m.get("content", ""))) for m in payload["messages"])
    completion_tokens = sum(count_fake_tokens(each.content) for each in (reply, *extra))
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": payload.get("model"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chunk_body(payload: dict, delta: dict, finish_reason: str | None) -> dict:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": payload.get("model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def sse_event(data: dict) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"
