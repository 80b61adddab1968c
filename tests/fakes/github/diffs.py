"""Per-file diffs between two trees, as GitHub derives them: patches, hunks, commentable lines."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .gitobjects import Entry, ObjectStore

NO_NEWLINE = "\\ No newline at end of file"


@dataclass
class Hunk:
    header: str
    # (prefix, old line number or None, new line number or None, text)
    lines: list[tuple[str, int | None, int | None, str]] = field(default_factory=list)


@dataclass
class FileDiff:
    path: str
    status: str  # added | removed | modified
    old: Entry | None
    new: Entry | None
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False

    @property
    def additions(self) -> int:
        return sum(pre == "+" for h in self.hunks for pre, *_ in h.lines)

    @property
    def deletions(self) -> int:
        return sum(pre == "-" for h in self.hunks for pre, *_ in h.lines)

    @property
    def patch(self) -> str | None:
        if self.binary:
            return None  # GitHub leaves `patch` out for binary files
        out = []
        for h in self.hunks:
            out.append(h.header)
            out.extend(pre + text if pre != "\\" else text for pre, _, _, text in h.lines)
        return "\n".join(out)

    def commentable(self, side: str) -> set[int]:
        """Lines a review comment may target: inside a hunk, on the side asked for."""
        idx = 1 if side == "LEFT" else 2
        skip = "+" if side == "LEFT" else "-"
        return {ln[idx] for h in self.hunks for ln in h.lines if ln[0] not in (skip, "\\")}

    def hunk_of(self, side: str, line: int) -> int | None:
        idx = 1 if side == "LEFT" else 2
        for i, h in enumerate(self.hunks):
            if any(ln[idx] == line and ln[0] != "\\" for ln in h.lines):
                return i
        return None

    def position_of(self, side: str, line: int) -> int | None:
        """GitHub's legacy `position`: lines below the first hunk header, later headers count."""
        pos, idx = 0, 1 if side == "LEFT" else 2
        for n, h in enumerate(self.hunks):
            if n:
                pos += 1
            for ln in h.lines:
                pos += 1
                if ln[idx] == line and ln[0] in (" ", "+" if side == "RIGHT" else "-"):
                    return pos
        return None

    def line_at(self, position: int) -> tuple[str, int] | None:
        """(side, line) for a legacy `position`."""
        pos = 0
        for n, h in enumerate(self.hunks):
            if n:
                pos += 1
            for pre, old, new, _ in h.lines:
                pos += 1
                if pos == position and pre != "\\":
                    line = old if pre == "-" else new
                    assert line is not None
                    return ("LEFT" if pre == "-" else "RIGHT"), line
        return None

    def diff_hunk(self, side: str, line: int) -> str:
        """The `diff_hunk` GitHub stores with a comment: hunk header through the commented line."""
        i = self.hunk_of(side, line)
        if i is None:
            return ""
        h, idx, out = self.hunks[i], 1 if side == "LEFT" else 2, [self.hunks[i].header]
        for pre, old, new, text in h.lines:
            out.append(text if pre == "\\" else pre + text)
            if (old, new)[idx - 1] == line and pre != "\\":
                break
        return "\n".join(out)


def split_lines(data: bytes) -> tuple[list[str], bool] | None:
    """Text lines and whether the last one ends in a newline; None for binary data."""
    if b"\0" in data:
        return None
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    ends_with_newline = text.endswith("\n") or not text
    if ends_with_newline:
        lines.pop()
    return lines, ends_with_newline


def make_hunks(old: list[str], old_nl: bool, new: list[str], new_nl: bool) -> list[Hunk]:
    """Unified hunks with three lines of context, numbered like `git diff`."""
    # Compare lines with their end-of-file marker, as git does, so a newline fix is a change.
    a = [ln + ("" if i < len(old) - 1 or old_nl else NO_NEWLINE) for i, ln in enumerate(old)]
    b = [ln + ("" if i < len(new) - 1 or new_nl else NO_NEWLINE) for i, ln in enumerate(new)]
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]

        def rng(start: int, length: int) -> str:
            first = start + 1 if length else start
            return str(first) if length == 1 else f"{first},{length}"

        hunk = Hunk(f"@@ -{rng(i1, i2 - i1)} +{rng(j1, j2 - j1)} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for k in range(a2 - a1):
                    add_line(hunk, " ", a1 + k + 1, b1 + k + 1, a[a1 + k])
                continue
            for k in range(a1, a2):
                add_line(hunk, "-", k + 1, None, a[k])
            for k in range(b1, b2):
                add_line(hunk, "+", None, k + 1, b[k])
        hunks.append(hunk)
    return hunks


def add_line(hunk: Hunk, prefix: str, old: int | None, new: int | None, text: str) -> None:
    if text.endswith(NO_NEWLINE):
        hunk.lines.append((prefix, old, new, text[: -len(NO_NEWLINE)]))
        hunk.lines.append(("\\", None, None, NO_NEWLINE))
    else:
        hunk.lines.append((prefix, old, new, text))


def diff_trees(store: ObjectStore, old_tree: str | None, new_tree: str) -> list[FileDiff]:
    """Changed files between two trees, sorted by path (no rename detection)."""
    old = store.files(old_tree) if old_tree else {}
    new = store.files(new_tree)
    out = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        status = "added" if a is None else "removed" if b is None else "modified"
        fd = FileDiff(path, status, a, b)
        a_lines = split_lines(store.raw(a.sha, "blob")) if a and a.kind == "blob" else ([], True)
        b_lines = split_lines(store.raw(b.sha, "blob")) if b and b.kind == "blob" else ([], True)
        if a_lines is None or b_lines is None:
            fd.binary = True
        else:
            fd.hunks = make_hunks(a_lines[0], a_lines[1], b_lines[0], b_lines[1])
        out.append(fd)
    return out
