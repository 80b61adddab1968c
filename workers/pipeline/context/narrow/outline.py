"""What the model sees when it narrows: the tree's source paths, then outlines of its picks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workers.pipeline.context.blocks import split_lines
from workers.pipeline.context.localize.symbols import DefinitionKind, outline_file
from workers.pipeline.context.localize.tree import detect_language, read_text

MAX_READ_BYTES = 1 << 20
# A definition's signature is looked for this many lines past its first (decorators).
SIGNATURE_LOOKAHEAD = 6


def repository_structure(
    all_paths: Sequence[str], ranked: Sequence[str], max_chars: int
) -> tuple[str, list[str]]:
    """Source paths, localization's picks first and then the rest by folder, one per line,
    cut at max_chars; also the paths shown (only those may be answered)."""
    sources = [p for p in all_paths if detect_language(p) is not None]
    known = set(sources)
    order = [p for p in ranked if p in known]
    order += sorted(set(sources) - set(order), key=lambda p: (p.count("/"), p))
    shown: list[str] = []
    used = 0
    for path in order:
        if used + len(path) + 1 > max_chars:
            break
        shown.append(path)
        used += len(path) + 1
    return "\n".join(shown), shown


def skeleton(root: Path, path: str, max_chars: int) -> str:
    """The file's classes and functions, one line each (line number, signature, first line of
    the docstring), nested by qualified name; cut at max_chars."""
    text = read_text(root, path, MAX_READ_BYTES)
    if not text:
        return ""
    lines = split_lines(text)
    outline = outline_file(text, detect_language(path))
    rows = [f"### {path}"]
    used = len(rows[0])
    for definition in outline.definitions:
        signature, after = _signature(lines, definition.start, definition.end)
        doc = _docstring(lines, after, definition.end)
        indent = "    " * definition.qualname.count(".")
        marker = "class " if definition.kind == DefinitionKind.CLASS else ""
        row = f"{indent}{definition.start}: {signature or marker + definition.name}"
        if doc:
            row += f"  # {doc}"
        if used + len(row) + 1 > max_chars:
            rows.append(f"{indent}...")
            break
        rows.append(row)
        used += len(row) + 1
    return "\n".join(rows)


def _signature(lines: list[str], start: int, end: int) -> tuple[str, int]:
    """The definition's own line (past decorators), trimmed, and the line number after it."""
    for number in range(start, min(end, start + SIGNATURE_LOOKAHEAD) + 1):
        line = lines[number - 1].strip() if number <= len(lines) else ""
        if line and not line.startswith("@"):
            return line[:160], number + 1
    return "", start + 1


def _docstring(lines: list[str], first: int, end: int) -> str:
    """The first line of a docstring right after the signature, when there is one."""
    for number in range(first, min(end, first + SIGNATURE_LOOKAHEAD) + 1):
        if number > len(lines):
            return ""
        line = lines[number - 1].strip()
        if not line:
            continue
        if line[:3] in ('"""', "'''"):
            return line.strip("\"' ")[:120]
        # A multi-line signature's continuation is not a docstring; stop at the body.
        if line.endswith(":") or line.startswith(")"):
            continue
        return ""
    return ""
