"""Untrusted issue and comment text made safe to quote to the model: no hidden markup or characters."""

from __future__ import annotations

import re
import unicodedata

_HTML_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
# Zero-width and bidirectional controls hide text from the human reading the issue while
# the model still reads it; format characters (Cf) cover them all.
_KEEP_FORMAT = {"\u200d"}  # ZWJ, used inside emoji sequences
_MAX_CHARS = 20_000
_FENCE_TAGS = re.compile(r"</?\s*(issue|comment|request|thread|review|check|annotation|guidance|alert)\b[^>]*>", re.IGNORECASE)


def sanitize_untrusted(text: str | None, max_chars: int = _MAX_CHARS) -> str:
    if not text:
        return ""
    text = _HTML_COMMENT.sub("", text)
    text = "".join(
        ch
        for ch in text
        if ch in "\n\t" or ch in _KEEP_FORMAT or unicodedata.category(ch) not in ("Cf", "Cc", "Co")
    )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Quoted text sits inside tags like <issue> in the prompt; the writer must not close them.
    text = _FENCE_TAGS.sub("", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text).strip()
    if len(text) > max_chars:
        text = text[:max_chars] + "\n[… truncated]"
    return text
