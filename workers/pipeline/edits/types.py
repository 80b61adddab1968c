"""Typed data for the edits a model proposes, the parsed response, and refusals."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class EditFormat(enum.Enum):
    """The shapes of edit a model response can carry."""

    SEARCH_REPLACE = "search_replace"
    UNIFIED_DIFF = "unified_diff"
    WHOLE_FILE = "whole_file"


class LineKind(enum.Enum):
    """The role of one line inside a diff hunk."""

    CONTEXT = " "
    REMOVED = "-"
    ADDED = "+"


class RefusalKind(enum.Enum):
    """Why an edit, or the whole response, could not be applied."""

    NO_EDITS = "no_edits"
    MALFORMED = "malformed"
    NO_PATH = "no_path"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    OVERLAP = "overlap"
    UNSAFE_PATH = "unsafe_path"
    PROTECTED_PATH = "protected_path"
    BINARY = "binary"
    MISSING_FILE = "missing_file"
    ELISION = "elision"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class SearchReplaceEdit:
    """Replace the text `search` in `path` with `replace` (empty search: a new file)."""

    path: str
    search: str
    replace: str
    line: int = 0


@dataclass(frozen=True)
class HunkLine:
    kind: LineKind
    text: str


@dataclass(frozen=True)
class Hunk:
    """One `@@` hunk; the numbers are hints only, since models get them wrong."""

    old_start: int | None
    old_count: int | None
    new_start: int | None
    new_count: int | None
    lines: tuple[HunkLine, ...]
    # True when the hunk ended with "\ No newline at end of file" after its new side.
    new_ends_without_newline: bool = False

    @property
    def old_lines(self) -> list[str]:
        return [hl.text for hl in self.lines if hl.kind is not LineKind.ADDED]

    @property
    def new_lines(self) -> list[str]:
        return [hl.text for hl in self.lines if hl.kind is not LineKind.REMOVED]


@dataclass(frozen=True)
class FilePatch:
    """The part of a unified diff that concerns one file."""

    old_path: str | None  # None for /dev/null (a new file)
    new_path: str | None  # None for /dev/null (a deleted file)
    hunks: tuple[Hunk, ...]
    line: int = 0
    binary: bool = False

    @property
    def path(self) -> str:
        return self.new_path if self.new_path is not None else (self.old_path or "")


@dataclass(frozen=True)
class WholeFileEdit:
    """The complete new content of `path`, possibly with `...` elisions."""

    path: str
    content: str
    line: int = 0
    # A first-line comment naming the path (`# utils.py`), taken out of `content`; it is
    # put back only when the file already starts with that very line.
    header_line: str = ""


Edit = SearchReplaceEdit | FilePatch | WholeFileEdit


def describe_edit(index: int, edit: Edit) -> str:
    """Name an edit the way a model can find it again in its own answer."""
    if isinstance(edit, SearchReplaceEdit):
        kind = "SEARCH/REPLACE block"
    elif isinstance(edit, FilePatch):
        kind = "diff"
    else:
        kind = "whole-file block"
    where = f", response line {edit.line}" if edit.line else ""
    return f"edit {index} ({kind} for {edit.path}{where})"


@dataclass
class ParsedResponse:
    """What a model answered: its analysis and every edit, in order."""

    edits: list[Edit] = field(default_factory=list)
    root_cause: str = ""
    explanation: str = ""
    tests: str = ""
    # Problems that make the whole response unusable (e.g. an unterminated block).
    problems: list[str] = field(default_factory=list)


class EditRefused(Exception):
    """An edit (or the response) cannot be applied exactly; nothing was written."""

    def __init__(self, kind: RefusalKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
