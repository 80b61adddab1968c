"""Recognising the file path a model writes above (or at the top of) an edit block."""

from __future__ import annotations

import re

_EXTENSIONLESS = {
    "makefile",
    "dockerfile",
    "containerfile",
    "gemfile",
    "rakefile",
    "procfile",
    "justfile",
    "vagrantfile",
    "jenkinsfile",
    "license",
    "readme",
    "changelog",
    "changes",
    "authors",
    "notice",
    "manifest.in",
}
_PATH_CHARS = re.compile(r"^[\w.\-+@~/\\]+$")
# An extension must contain a letter, so "3.14" or "v1.2" are not paths.
_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9_+\-]*[A-Za-z])[A-Za-z0-9_+\-]{1,12}$")
_HEADING = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")
_LABEL = re.compile(
    r"^(?:file(?:name)?|path|new file|updated file|modified file|create|update)\s*[:\-]\s*",
    re.IGNORECASE,
)
_DECOR = "`*_'\"["
_CLOSING = {"[": "]"}
_BACKTICKED = re.compile(r"`([^`\s]+)`")
_COMMENT_HEADER = (
    re.compile(r"^\s*(?:#|//|--|;|%)\s*(?:file(?:name)?\s*:\s*)?(?P<p>\S+)\s*$", re.IGNORECASE),
    re.compile(r"^\s*/\*+\s*(?:file(?:name)?\s*:\s*)?(?P<p>\S+)\s*\*+/\s*$", re.IGNORECASE),
    re.compile(r"^\s*<!--\s*(?:file(?:name)?\s*:\s*)?(?P<p>\S+)\s*-->\s*$", re.IGNORECASE),
)
_INFO_KEY = re.compile(r"^(?:title|file(?:name)?|path)=[\"']?(?P<p>[^\"'\s]+)[\"']?$")


def looks_like_path(text: str) -> bool:
    """Tell whether a bare token reads as a repository path rather than a word."""
    if not text or len(text) > 255 or not _PATH_CHARS.match(text):
        return False
    if "://" in text or text.startswith(("-", "+")) or text.endswith(("/", ".")):
        return False
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    if not name.strip("."):
        return False
    if _EXTENSION.search(name) or name.lower() in _EXTENSIONLESS:
        return True
    return "/" in text.replace("\\", "/") and any(c.isalpha() for c in name)


def _strip_decoration(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = text.strip().rstrip(":").strip()
        if len(text) >= 2 and text[0] in _DECOR and _CLOSING.get(text[0], text[0]) == text[-1]:
            text = text[1:-1]
    return text


def extract_path_line(line: str) -> str | None:
    """The path when the line holds nothing else (`path`, **path**, ### path, File: path)."""
    text = _HEADING.sub("", line.strip())
    text = _strip_decoration(text)
    text = _LABEL.sub("", text)
    text = _strip_decoration(text)
    return text if looks_like_path(text) else None


def extract_path_mention(line: str) -> str | None:
    """A path-only line, or else the one backticked path a sentence names."""
    exact = extract_path_line(line)
    if exact:
        return exact
    found = {token for token in _BACKTICKED.findall(line) if looks_like_path(token)}
    return found.pop() if len(found) == 1 else None


def extract_comment_header(line: str) -> str | None:
    """The path in a first-line comment such as `# utils.py` or `// src/app.js`."""
    for pattern in _COMMENT_HEADER:
        match = pattern.match(line)
        if match and looks_like_path(match.group("p")):
            return match.group("p")
    return None


def extract_info_path(info: str) -> str | None:
    """A path carried by a fence's info string (```python:src/x.py, ```x.py, title="x.py")."""
    for token in info.replace(":", " ").split():
        keyed = _INFO_KEY.match(token)
        candidate = keyed.group("p") if keyed else token.strip("{}\"'")
        if looks_like_path(candidate):
            return candidate
    return None
