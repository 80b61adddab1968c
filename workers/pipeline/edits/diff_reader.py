"""Reading unified diffs as models write them: strictly with unidiff, else tolerantly."""

from __future__ import annotations

import re
from dataclasses import dataclass

import unidiff

from workers.pipeline.edits.elision import is_elision
from workers.pipeline.edits.types import FilePatch, Hunk, HunkLine, LineKind

_HUNK_HEADER = re.compile(
    r"^@@+\s*-(?P<os>\d+)(?:,(?P<oc>\d+))?\s+\+(?P<ns>\d+)(?:,(?P<nc>\d+))?\s*@@+"
)
_GIT_HEADER = re.compile(r"^diff --git (?P<a>\S+) (?P<b>\S+)\s*$")
_EXTENDED = (
    "index ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "dissimilarity index",
    "rename from",
    "rename to",
    "copy from",
    "copy to",
)
_BINARY = ("Binary files ", "GIT binary patch")
DEV_NULL = "/dev/null"


@dataclass
class DiffSegment:
    """File patches read from a run of lines, and where that run ended."""

    patches: list[FilePatch]
    end: int
    problems: list[str]


def starts_diff(lines: list[str], i: int) -> bool:
    """Tell whether a diff's file header begins at line i."""
    line = lines[i]
    if _GIT_HEADER.match(line):
        return True
    return line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def _clean_header_path(raw: str) -> str:
    path = raw.split("\t", 1)[0].strip()
    # GNU diff appends a timestamp after whitespace; a path never ends in a time of day.
    path = re.sub(r"\s+\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:\s*[+-]\d{4})?$", "", path)
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    return path.strip()


def _pair_paths(old: str, new: str) -> tuple[str | None, str | None]:
    """Drop git's a/ and b/ prefixes when the header uses them; map /dev/null to None."""
    old_path = None if old == DEV_NULL else old
    new_path = None if new == DEV_NULL else new
    git_style = (old_path is None or old_path.startswith("a/")) and (
        new_path is None or new_path.startswith("b/")
    )
    if git_style and (old_path or new_path):
        old_path = old_path[2:] if old_path else None
        new_path = new_path[2:] if new_path else None
    return old_path, new_path


def _trim_hunk(
    body: list[str], old_count: int | None, new_count: int | None, fenced: bool
) -> list[str]:
    """Cut a greedily read hunk where its header counts say, when they are right.

    Header counts are hints (models get them wrong), but when they fit they tell a
    trailing blank context line from the blank line that separates the diff from prose
    (in a bare diff, prose after that blank line may even start with "- ").
    """
    if old_count is not None and new_count is not None:
        old = new = 0
        for index, line in enumerate(body):
            if not line.startswith("\\"):
                old += not line.startswith("+")
                new += not line.startswith("-")
            if (old, new) == (old_count, new_count):
                rest = body[index + 1 :]
                while rest and rest[0].startswith("\\"):
                    index += 1
                    rest = rest[1:]
                if all(line == "" for line in rest) or (not fenced and rest[0] == ""):
                    return body[: index + 1]
                break
    end = len(body)
    while end and body[end - 1] == "":
        end -= 1
    return body[:end]


def _hunk_line(line: str) -> HunkLine | None:
    if line == "":
        return HunkLine(LineKind.CONTEXT, "")  # a blank context line that lost its space
    if line[0] in " +-":
        return HunkLine(LineKind(line[0]), line[1:])
    if is_elision(line):
        return HunkLine(LineKind.CONTEXT, line)  # "..." written without the context space
    return None


def _read_hunk(
    lines: list[str], i: int, problems: list[str], offset: int, fenced: bool = True
) -> tuple[Hunk, int]:
    match = _HUNK_HEADER.match(lines[i])
    numbers = [None] * 4
    if match:
        numbers = [
            int(match.group("os")),
            int(match.group("oc")) if match.group("oc") is not None else 1,
            int(match.group("ns")),
            int(match.group("nc")) if match.group("nc") is not None else 1,
        ]
    j = i + 1
    body: list[str] = []
    while j < len(lines):
        line = lines[j]
        if line.startswith("@@") or _GIT_HEADER.match(line) or starts_diff(lines, j):
            break
        if line.startswith("\\") or _hunk_line(line) is not None:
            body.append(line)
            j += 1
            continue
        break
    kept = _trim_hunk(body, numbers[1], numbers[3], fenced)
    end = i + 1 + len(kept)
    if j < len(lines) and _breaks_hunk(lines, j, kept, numbers):
        problems.append(
            f"response line {offset + j + 1}: {lines[j].strip()[:60]!r} interrupts a diff hunk; "
            "every hunk line must start with ' ', '+' or '-'"
        )
    hunk_lines = [_hunk_line(line) for line in kept if not line.startswith("\\")]
    return Hunk(numbers[0], numbers[1], numbers[2], numbers[3], tuple(hunk_lines)), end


def _breaks_hunk(lines: list[str], j: int, kept: list[str], numbers: list) -> bool:
    """A stray line in the middle of a hunk (the hunk goes on after it), as opposed to
    prose after the diff. Stopping there silently would drop the rest of the hunk."""
    line = lines[j]
    if line.startswith("@@") or _GIT_HEADER.match(line) or starts_diff(lines, j):
        return False
    following = lines[j + 1] if j + 1 < len(lines) else ""
    if not following or following[0] not in " +-" or starts_diff(lines, j + 1):
        return False
    if numbers[1] is None:
        return True
    old = sum(1 for k in kept if not k.startswith(("+", "\\")))
    new = sum(1 for k in kept if not k.startswith(("-", "\\")))
    return old < numbers[1] or new < numbers[3]


def read_headerless_hunks(lines: list[str], problems: list[str], offset: int) -> list[Hunk]:
    """Hunks of a diff written without ---/+++ lines (the path was given above it)."""
    hunks = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("@@"):
            hunk, i = _read_hunk(lines, i, problems, offset)
            hunks.append(hunk)
        else:
            i += 1
    return hunks


def _read_file_patch(
    lines: list[str], i: int, problems: list[str], offset: int, fenced: bool
) -> tuple[FilePatch | None, int]:
    start = i
    git = _GIT_HEADER.match(lines[i])
    binary = False
    renamed = False
    if git:
        i += 1
        while i < len(lines) and lines[i].startswith(_EXTENDED + _BINARY):
            binary |= lines[i].startswith(_BINARY)
            renamed |= lines[i].startswith(("rename from", "copy from"))
            i += 1
    if i + 1 < len(lines) and lines[i].startswith("--- ") and lines[i + 1].startswith("+++ "):
        old_raw, new_raw = _clean_header_path(lines[i][4:]), _clean_header_path(lines[i + 1][4:])
        i += 2
    elif git:
        old_raw, new_raw = git.group("a"), git.group("b")
        if renamed:
            problems.append(f"line {start + 1}: renaming or copying files is not supported")
    else:
        return None, i + 1
    old_path, new_path = _pair_paths(old_raw, new_raw)
    hunks = []
    while i < len(lines) and lines[i].startswith("@@"):
        hunk, i = _read_hunk(lines, i, problems, offset, fenced)
        hunks.append(hunk)
    patch = FilePatch(old_path, new_path, tuple(hunks), line=start + 1, binary=binary)
    return patch, i


def read_diff(lines: list[str], start: int, fenced: bool, line_offset: int = 0) -> DiffSegment:
    """Read file patches from `start`; a bare diff ends at the first line it cannot use."""
    patches: list[FilePatch] = []
    problems: list[str] = []
    i = start
    while i < len(lines):
        if _GIT_HEADER.match(lines[i]) or starts_diff(lines, i):
            patch, i = _read_file_patch(lines, i, problems, line_offset, fenced)
            if patch is not None:
                patches.append(patch)
        elif fenced:
            i += 1  # prose or "Index:" lines between files inside one diff fence
        else:
            break
    strict = _read_strict(lines[start:i])
    if strict is not None and _same_shape(strict, patches):
        patches = [_with_line(sp, tp.line) for sp, tp in zip(strict, patches, strict=True)]
    shifted = [_with_line(p, p.line + line_offset if p.line else 0) for p in patches]
    return DiffSegment(shifted, i, problems)


def _same_shape(strict: list[FilePatch], tolerant: list[FilePatch]) -> bool:
    """unidiff's reading is taken only where it agrees line for line with the tolerant one:
    it trusts the @@ counts, and a wrong count makes it end a hunk early without a word."""
    if len(strict) != len(tolerant):
        return False
    return all(
        (a.old_path, a.new_path) == (b.old_path, b.new_path)
        and [h.lines for h in a.hunks] == [h.lines for h in b.hunks]
        for a, b in zip(strict, tolerant, strict=True)
    )


def _with_line(patch: FilePatch, line: int) -> FilePatch:
    return FilePatch(patch.old_path, patch.new_path, patch.hunks, line, patch.binary)


def _read_strict(lines: list[str]) -> list[FilePatch] | None:
    """Read a well-formed diff with unidiff; None when it does not fit (the usual case
    with models: wrong counts, missing numbers, stripped blank context)."""
    try:
        patch_set = unidiff.PatchSet("\n".join(lines) + "\n")
    except (unidiff.UnidiffParseError, ValueError, IndexError):
        return None
    patches = []
    for patched in patch_set:
        old_path, new_path = _pair_paths(
            _clean_header_path(patched.source_file), _clean_header_path(patched.target_file)
        )
        hunks = []
        for hunk in patched:
            hunk_lines = tuple(
                HunkLine(LineKind(line.line_type), line.value.rstrip("\n"))
                for line in hunk
                if line.line_type in (" ", "+", "-")
            )
            if not hunk_lines:
                return None
            hunks.append(
                Hunk(
                    hunk.source_start,
                    hunk.source_length,
                    hunk.target_start,
                    hunk.target_length,
                    hunk_lines,
                )
            )
        patches.append(FilePatch(old_path, new_path, tuple(hunks), binary=patched.is_binary_file))
    return patches
