"""Recognising the lines models write instead of unchanged code (`...`, `# ... existing code ...`)."""

from __future__ import annotations

import re

_LEADER = re.compile(r"^(?:#+|//+|--|;+|/\*+|<!--|\*)\s*")
_TRAILER = re.compile(r"\s*(?:\*+/|-->)$")
_DOTS = ("...", "\u2026")
_WORDS = re.compile(
    r"\b(?:unchanged|existing|rest of|remaining|omitted|same as before|as before|no changes)\b",
    re.IGNORECASE,
)
# Without dots only a whole stock phrase counts: "# rest of the file unchanged".
_PHRASE = re.compile(
    r"^(?:the )?(?:rest of (?:the )?(?:file|code|module|class|function|method|imports)"
    r"(?: (?:is |remains |stays )?(?:unchanged|the same|as before))?"
    r"|(?:existing|unchanged|other|remaining) (?:code|lines|methods|functions|imports|tests)"
    r"(?: (?:unchanged|here|omitted|as before))?)\.?$",
    re.IGNORECASE,
)


def is_elision(line: str) -> bool:
    """True for a line that stands for unchanged lines rather than being code itself.

    A doctest continuation (`...     print(x)`) or an Ellipsis with code after it is not
    one: the text after the dots must close with dots again or say "unchanged".
    """
    core = line.strip()
    leader = _LEADER.match(core)
    if leader:
        core = core[leader.end() :]
    core = _TRAILER.sub("", core).strip().strip("[]()").strip()
    if core in _DOTS:
        return True
    if core.startswith(_DOTS):
        body = core[3:] if core.startswith("...") else core[1:]
        return body.rstrip().endswith(_DOTS) or bool(_WORDS.search(body))
    return bool(leader) and bool(_PHRASE.match(core))
