"""Applying a response's edits to the files under a root: every edit exactly, or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workers.pipeline.edits.matching import Ambiguous, NotFound, locate
from workers.pipeline.edits.paths import resolve_edit_path
from workers.pipeline.edits.placement_errors import explain_not_found
from workers.pipeline.edits.splice import NewLine, SpliceError, changed_lines, splice
from workers.pipeline.edits.textfile import TextFile, is_binary
from workers.pipeline.edits.types import (
    Edit,
    EditRefused,
    FilePatch,
    ParsedResponse,
    RefusalKind,
    SearchReplaceEdit,
    WholeFileEdit,
    describe_edit,
)
from workers.pipeline.edits.whole_file import expand_whole_file, is_quotation


@dataclass(frozen=True)
class FileChange:
    """One file's bytes before and after; None means absent (created or deleted)."""

    path: str
    old: bytes | None
    new: bytes | None


@dataclass
class ApplyPlan:
    changes: list[FileChange]
    notes: list[str] = field(default_factory=list)


def _split(text: str) -> list[str]:
    return text.split("\n")[:-1] if text else []


class _Workspace:
    """In-memory copies of the files the edits touch; nothing on disk changes here."""

    def __init__(self, root: Path, protected: Sequence[str]) -> None:
        self.root = root
        self.protected = protected
        self.files: dict[str, TextFile | None] = {}
        self.originals: dict[str, bytes | None] = {}
        self.notes: list[str] = []

    def resolve(self, raw: str) -> str:
        return resolve_edit_path(self.root, raw, self.protected)

    def load(self, rel: str) -> TextFile | None:
        if rel not in self.files:
            target = self.root / rel
            data = target.read_bytes() if target.is_file() else None
            if data is not None and is_binary(data):
                raise EditRefused(RefusalKind.BINARY, f"{rel} is a binary file")
            self.originals[rel] = data
            self.files[rel] = TextFile.from_bytes(data) if data is not None else None
        return self.files[rel]

    def create(self, rel: str, lines: list[str]) -> None:
        self.load(rel)
        self.files[rel] = TextFile(list(lines), ["\n"] * len(lines))

    def delete(self, rel: str) -> None:
        self.load(rel)
        self.files[rel] = None

    def changes(self) -> list[FileChange]:
        out = []
        for rel in sorted(self.files):
            text = self.files[rel]
            new = text.to_bytes() if text is not None else None
            if new != self.originals[rel]:
                out.append(FileChange(rel, self.originals[rel], new))
        return out


def _place(lines: list[str], search: list[str], replace: list[str], hint: int | None = None):
    """(start, end, new lines) for one SEARCH/REPLACE pair, or a refusal that says why."""
    try:
        placement = locate(lines, search, hint, changed_lines(search, replace))
    except Ambiguous as error:
        where = ", ".join(str(start + 1) for start in error.starts[:5])
        raise EditRefused(
            RefusalKind.AMBIGUOUS,
            f"the text to replace matches {len(error.starts)} places (lines {where}); "
            "include more surrounding lines so it matches one place only",
        ) from None
    except NotFound:
        raise EditRefused(RefusalKind.NOT_FOUND, explain_not_found(lines, search)) from None
    try:
        new = splice(lines, placement, search, replace)
    except SpliceError as error:
        raise EditRefused(RefusalKind.ELISION, str(error)) from None
    return placement.start, placement.end, new


def _require(ws: _Workspace, rel: str) -> TextFile:
    text = ws.load(rel)
    if text is None:
        raise EditRefused(RefusalKind.MISSING_FILE, f"{rel} does not exist")
    return text


def _apply_search_replace(ws: _Workspace, edit: SearchReplaceEdit) -> None:
    rel = ws.resolve(edit.path)
    search, replace = _split(edit.search), _split(edit.replace)
    current = ws.load(rel)
    if not any(line.strip() for line in search):
        # An empty SEARCH creates a file; on a file with content it says nothing about where.
        if current is not None and any(line.strip() for line in current.lines):
            raise EditRefused(
                RefusalKind.NOT_FOUND,
                f"SEARCH is empty but {rel} already exists; quote the lines to change",
            )
        ws.create(rel, replace)
        return
    text = _require(ws, rel)
    start, end, new = _place(text.lines, search, replace)
    text.replace(start, end, new)


def _apply_file_patch(ws: _Workspace, patch: FilePatch) -> None:
    if patch.binary:
        raise EditRefused(RefusalKind.BINARY, "binary patches cannot be applied")
    old_rel = ws.resolve(patch.old_path) if patch.old_path is not None else None
    new_rel = ws.resolve(patch.new_path) if patch.new_path is not None else None
    if old_rel and new_rel and old_rel != new_rel:
        raise EditRefused(
            RefusalKind.MALFORMED,
            f"the diff renames {old_rel} to {new_rel}; renames are not supported",
        )
    if old_rel is None and new_rel is not None:
        _create_from_patch(ws, new_rel, patch)
        return
    text = _require(ws, old_rel or "")
    if new_rel is None:
        _delete_from_patch(ws, old_rel or "", text, patch)
        return
    edits: list[tuple[int, int, list[NewLine], int]] = []
    for number, hunk in enumerate(patch.hunks, 1):
        try:
            start, end, new = _place_hunk(text, hunk)
        except EditRefused as error:
            raise EditRefused(error.kind, f"hunk {number}: {error.message}") from None
        edits.append((start, end, new, number))
    edits.sort(key=lambda item: (item[0], item[1]))
    for (_, end, _, first), (start, _, _, second) in zip(edits, edits[1:], strict=False):
        if start < end:
            raise EditRefused(
                RefusalKind.OVERLAP, f"hunks {first} and {second} change the same lines"
            )
    for start, end, new, _ in reversed(edits):
        text.replace(start, end, new)


def _place_hunk(text: TextFile, hunk) -> tuple[int, int, list[NewLine]]:
    old, new = hunk.old_lines, hunk.new_lines
    if any(line.strip() for line in old):
        hint = hunk.old_start - 1 if hunk.old_start else None
        return _place(text.lines, old, new, hint)
    if old or hunk.old_start is None or hunk.old_start > len(text.lines):
        raise EditRefused(
            RefusalKind.NOT_FOUND,
            "the hunk has no context lines to place it by; include unchanged lines around it",
        )
    # A pure insertion: "@@ -N,0" means after line N, the only case a number must decide.
    return hunk.old_start, hunk.old_start, [(line, None) for line in new]


def _create_from_patch(ws: _Workspace, rel: str, patch: FilePatch) -> None:
    lines = [line for hunk in patch.hunks for line in hunk.new_lines]
    current = ws.load(rel)
    if current is not None and [line.rstrip() for line in current.lines] != [
        line.rstrip() for line in lines
    ]:
        raise EditRefused(RefusalKind.CONFLICT, f"the diff creates {rel}, which already exists")
    if current is None:
        ws.create(rel, lines)


def _delete_from_patch(ws: _Workspace, rel: str, text: TextFile, patch: FilePatch) -> None:
    removed = [line.rstrip() for hunk in patch.hunks for line in hunk.old_lines]
    if removed != [line.rstrip() for line in text.lines]:
        raise EditRefused(
            RefusalKind.NOT_FOUND, f"the diff deletes {rel} but its lines are not the file's"
        )
    ws.delete(rel)


def _apply_whole_file(ws: _Workspace, edit: WholeFileEdit) -> None:
    rel = ws.resolve(edit.path)
    lines = _split(edit.content)
    current = ws.load(rel)
    if current is None:
        ws.create(rel, lines)
        return
    if (
        edit.header_line
        and current.lines
        and current.lines[0].rstrip() == edit.header_line.rstrip()
    ):
        lines = [edit.header_line, *lines]
    if is_quotation(current.lines, lines):
        ws.notes.append(f"{rel}: a code block that only quotes the file was not taken as an edit")
        return
    current.replace(0, len(current.lines), expand_whole_file(current.lines, lines))


def _apply_one(ws: _Workspace, edit: Edit) -> None:
    if isinstance(edit, SearchReplaceEdit):
        _apply_search_replace(ws, edit)
    elif isinstance(edit, FilePatch):
        _apply_file_patch(ws, edit)
    else:
        _apply_whole_file(ws, edit)


def plan_edits(root: Path, parsed: ParsedResponse, protected: Sequence[str] = ()) -> ApplyPlan:
    """Work out every file's new content in memory; raise EditRefused if any edit fails."""
    if parsed.problems:
        raise EditRefused(RefusalKind.MALFORMED, "; ".join(parsed.problems))
    if not parsed.edits:
        raise EditRefused(
            RefusalKind.NO_EDITS,
            "the response has no edits (SEARCH/REPLACE blocks, a unified diff, or a whole "
            "file under its path)",
        )
    ws = _Workspace(Path(root), protected)
    # Paths first: one edit aimed outside the repository refuses the whole response.
    for index, edit in enumerate(parsed.edits, 1):
        raw_paths = [edit.path]
        if isinstance(edit, FilePatch):
            raw_paths = [p for p in (edit.old_path, edit.new_path) if p is not None]
        for raw in raw_paths:
            try:
                ws.resolve(raw)
            except EditRefused as error:
                raise EditRefused(
                    error.kind, f"{describe_edit(index, edit)}: {error.message}"
                ) from None
    for index, edit in enumerate(parsed.edits, 1):
        try:
            _apply_one(ws, edit)
        except EditRefused as error:
            raise EditRefused(
                error.kind, f"{describe_edit(index, edit)}: {error.message}"
            ) from None
    changes = ws.changes()
    if not changes:
        # Nothing to change means the response was misread or the model repeated the
        # file as it is; either way there is no fix to publish.
        raise EditRefused(RefusalKind.NO_EDITS, "the edits leave every file as it was")
    return ApplyPlan(changes, ws.notes)
