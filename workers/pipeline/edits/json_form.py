"""The edit format as JSON, for servers that constrain decoding to a schema.

A reply of this shape carries the same content as the text format: the root cause, every
edit as path/search/replace (an empty search creates a file; test files are edited the same
way) and a line on the tests. `read_json_reply` turns it into a ParsedResponse, so everything
after parsing (placing, validating, verifying) is the same for both forms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workers.pipeline.edits.types import ParsedResponse, SearchReplaceEdit

_EDIT = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "file path relative to the repository root"},
        "search": {"type": "string",
                   "description": "the exact current lines to replace; empty for a new file"},
        "replace": {"type": "string", "description": "the lines that replace them"},
    },
    "required": ["path", "search", "replace"],
    "additionalProperties": False,
}

# Every property required and no others: what OpenAI's strict json_schema mode demands, and
# what vLLM, SGLang, llama.cpp and Ollama enforce the same way.
EDIT_SCHEMA: dict[str, Any] = {
    "title": "fix",
    "type": "object",
    "properties": {
        "root_cause": {"type": "string"},
        "edits": {"type": "array", "items": _EDIT},
        "tests": {"type": "string", "description": "what the added test checks and how to run it"},
    },
    "required": ["root_cause", "edits", "tests"],
    "additionalProperties": False,
}

JSON_INSTRUCTION = (Path(__file__).parent / "json_reply.md").read_text()

_FENCED = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.S)


def looks_like_json_reply(answer: str) -> bool:
    stripped = answer.strip()
    return stripped.startswith("{") or bool(_FENCED.match(stripped) and "{" in stripped[:20])


def read_json_reply(answer: str) -> ParsedResponse | None:
    """The reply as a ParsedResponse, or None when it is not a JSON object with `edits`."""
    stripped = answer.strip()
    fenced = _FENCED.match(stripped)
    if fenced:
        stripped = fenced.group("body").strip()
    try:
        body = json.loads(stripped)
    except ValueError:
        return None
    if not isinstance(body, dict) or "edits" not in body:
        return None
    problems: list[str] = []
    edits: list[SearchReplaceEdit] = []
    raw = body.get("edits")
    if not isinstance(raw, list):
        return ParsedResponse(problems=["the JSON reply's `edits` is not a list"])
    for index, item in enumerate(raw, start=1):
        fields = item if isinstance(item, dict) else {}
        path, search, replace = (fields.get(k) for k in ("path", "search", "replace"))
        if not (isinstance(path, str) and path.strip() and isinstance(search, str)
                and isinstance(replace, str)):
            problems.append(f"JSON edit {index} needs string `path`, `search` and `replace`")
            continue
        edits.append(SearchReplaceEdit(path.strip(), _lines(search), _lines(replace), line=index))
    return ParsedResponse(
        edits=list(edits),
        root_cause=_text(body.get("root_cause")),
        tests=_text(body.get("tests")),
        problems=problems,
    )


def to_json_reply(root_cause: str, edits: list[SearchReplaceEdit], tests: str = "") -> str:
    """The JSON form of an analysis and its edits (the benchmark converts cases with it)."""
    return json.dumps({
        "root_cause": root_cause,
        "edits": [{"path": e.path, "search": e.search, "replace": e.replace} for e in edits],
        "tests": tests,
    }, indent=1)


def _lines(text: str) -> str:
    """Whole lines, as the text form's blocks give them: a final newline unless empty."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if not text or text.endswith("\n") else text + "\n"


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
