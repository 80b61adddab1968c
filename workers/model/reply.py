"""What the model answered, with reasoning kept apart so edits are never parsed out of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_UNCLOSED_THINK = re.compile(r"<think>.*\Z", re.DOTALL | re.IGNORECASE)


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
    """(answer, reasoning): `<think>` blocks removed from the answer, an unclosed one too."""
    reasoning = [m.group(0) for m in _THINK_BLOCK.finditer(content)]
    answer = _THINK_BLOCK.sub("", content)
    # Some servers leave only the closing tag when the template opened the block.
    if "</think>" in answer.lower():
        head, _, answer = re.split(r"(</think>)", answer, maxsplit=1, flags=re.IGNORECASE)
        reasoning.append(head)
    unclosed = _UNCLOSED_THINK.search(answer)
    if unclosed:
        reasoning.append(unclosed.group(0))
        answer = answer[: unclosed.start()]
    cleaned = [re.sub(r"</?think>", "", r, flags=re.IGNORECASE).strip() for r in reasoning]
    return answer.strip(), "\n".join(c for c in cleaned if c)
