"""The posted diff: generated from the files themselves, then checked by parsing it back."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Protocol

import unidiff

from workers.pipeline.edits.textfile import split_keepends

_NO_NEWLINE = "\\ No newline at end of file\n"


class Change(Protocol):
    path: str
    old: bytes | None
    new: bytes | None


class DiffMismatch(Exception):
    """The rendered diff does not reproduce the files (a bug here, never the model's)."""


def _decode(data: bytes | None) -> list[str]:
    return split_keepends(data.decode("utf-8", "surrogateescape")) if data else []


def _range(start: int, count: int) -> str:
    # Unified diff convention: an empty side names the line before it.
    return f"{start + 1 if count else start},{count}"


def _emit(prefix: str, line: str, out: list[str]) -> None:
    out.append(prefix + line)
    if not line.endswith("\n"):
        out.append("\n" + _NO_NEWLINE)


def render_file_diff(change: Change, context: int = 3) -> str:
    old, new = _decode(change.old), _decode(change.new)
    out = [f"diff --git a/{change.path} b/{change.path}\n"]
    if change.old is None:
        out.append("new file mode 100644\n")
    elif change.new is None:
        out.append("deleted file mode 100644\n")
    out.append("--- /dev/null\n" if change.old is None else f"--- a/{change.path}\n")
    out.append("+++ /dev/null\n" if change.new is None else f"+++ b/{change.path}\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for line in old[a1:a2]:
                    _emit(" ", line, out)
                continue
            for line in old[a1:a2]:
                _emit("-", line, out)
            for line in new[b1:b2]:
                _emit("+", line, out)
    return "".join(out)


def render_diff(changes: Sequence[Change], context: int = 3) -> str:
    """A git-style unified diff of every change, files in path order."""
    return "".join(
        render_file_diff(change, context) for change in sorted(changes, key=lambda c: c.path)
    )


def _rebuild(old: list[str], patched: unidiff.PatchedFile) -> list[str]:
    result: list[str] = []
    pos = 0
    for hunk in patched:
        start = hunk.source_start - 1 if hunk.source_length else hunk.source_start
        if start < pos:
            raise DiffMismatch(f"{patched.path}: hunks overlap at line {start + 1}")
        result.extend(old[pos:start])
        pos = start
        previous = ""
        for line in hunk:
            if line.line_type in (" ", "-"):
                if pos >= len(old) or old[pos].rstrip("\n") != line.value.rstrip("\n"):
                    raise DiffMismatch(f"{patched.path}: hunk does not fit line {pos + 1}")
                pos += 1
            if line.line_type in (" ", "+"):
                result.append(line.value)
            if line.line_type == "\\" and previous in (" ", "+"):
                result[-1] = result[-1].removesuffix("\n")
            previous = line.line_type
    result.extend(old[pos:])
    return result


def verify_diff(diff: str, changes: Sequence[Change]) -> None:
    """Parse the diff back with unidiff and check it turns every old file into the new one."""
    patch_set = unidiff.PatchSet(diff)
    by_path = {change.path: change for change in changes}
    if len(patch_set) != len(by_path):
        raise DiffMismatch(f"diff names {len(patch_set)} files, expected {len(by_path)}")
    for patched in patch_set:
        change = by_path.get(patched.path)
        if change is None:
            raise DiffMismatch(f"diff names an unexpected file {patched.path}")
        rebuilt = "".join(_rebuild(_decode(change.old), patched))
        if rebuilt != "".join(_decode(change.new)):
            raise DiffMismatch(f"{patched.path}: the diff does not reproduce the new file")
