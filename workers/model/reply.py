"""What the model answered, with reasoning kept apart so edits are never parsed out of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAGS = "think|thinking|reasoning"
_REASONING = re.compile(rf"^\s*<({_TAGS})>.*?</\1>[ \t]*$\n?", re.S | re.I | re.M)
_LONE_CLOSE = re.compile(rf"^\s*</(?:{_TAGS})>[ \t]*$", re.I | re.M)
_LONE_OPEN = re.compile(rf"^\s*<(?:{_TAGS})>", re.I | re.M)
_ANY_TAG = re.compile(rf"</?(?:{_TAGS})>", re.I)


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


class ModelError(RuntimeError):
    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class ModelReply:
    text: str
    reasoning: str = ""
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


def strip_reasoning(content: str) -> tuple[str, str]:
    """(answer, reasoning): reasoning blocks moved out of the answer, never parsed for edits.

    Tags count only at the start of a line, so prose that mentions `<think>` stays.
    """
    reasoning = [m.group(0) for m in _REASONING.finditer(content)]
    answer = _REASONING.sub("", content)
    # Some servers strip the opening tag, leaving only the closing one after the reasoning.
    closes = list(_LONE_CLOSE.finditer(answer))
    if closes:
        reasoning.append(answer[: closes[-1].end()])
        answer = answer[closes[-1].end() :]
    opened = _LONE_OPEN.search(answer)
    if opened:
        # Reasoning that never closed: the reply was cut off while thinking.
        reasoning.append(answer[opened.start() :])
        answer = answer[: opened.start()]
    cleaned = (_ANY_TAG.sub("", part).strip() for part in reasoning)
    return answer, "\n".join(part for part in cleaned if part)
