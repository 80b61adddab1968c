"""Saying why a block was not found, in words a model can act on in its repair round."""

from __future__ import annotations

import difflib

from workers.pipeline.edits.elision import is_elision

_SHOWN = 100


def _show(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def explain_not_found(lines: list[str], search: list[str]) -> str:
    """Name the first SEARCH line the file lacks, and the file's closest line to it."""
    present = {line.strip(): number for number, line in reversed(list(enumerate(lines, 1)))}
    for index, line in enumerate(search, 1):
        key = line.strip()
        if not key or key in present or is_elision(line):
            continue
        close = difflib.get_close_matches(key, list(present), n=1, cutoff=0.6)
        hint = (
            f"; the closest line in the file is {present[close[0]]}: {_show(close[0])}"
            if close
            else ""
        )
        return f"line {index} of the text to replace, {_show(line)}, is not in the file{hint}"
    return (
        "every line of the text to replace is in the file, but not together in this order; "
        "copy the lines exactly as they stand in the file"
    )
