"""A file's lines as the prompt shows them: split, merged into spans, rendered as numbered
blocks, and the blocks joined and measured into the code section (`assemble`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from workers.model.port import Tokenizer
from workers.pipeline.context.estimate import TokenEstimate
from workers.pipeline.context.localize.symbols import Definition


class ContextRole(Enum):
    """Why a file is in the prompt."""

    EDIT = "edit"
    TEST = "test"


@dataclass(frozen=True)
class PackedFile:
    """One file's block in the prompt: whole, or the listed 1-based inclusive line spans."""

    path: str
    role: ContextRole
    whole: bool
    spans: tuple[tuple[int, int], ...]
    text: str
    # The estimate packing planned with; the joined text is measured (CodeContext.tokens).
    tokens: int


@dataclass(frozen=True)
class CodeContext:
    """The prompt's code section, what it holds, and what did not fit."""

    text: str
    tokens: int
    budget: int
    files: tuple[PackedFile, ...]
    omitted: tuple[str, ...]


def split_lines(text: str, truncated: bool = False) -> list[str]:
    """The file's lines as git, editors and tracebacks number them: split on "\\n" only.

    `str.splitlines` also breaks at form feeds, lone carriage returns and other separators,
    which would shift every later line number away from the file's own (and from the
    definitions' numbers, which count "\\n"). A final newline starts no extra line; a line's
    "\\r" of a CRLF ending is dropped. In a truncated read the last line may be cut, so it goes.
    """
    lines = text.split("\n")
    if truncated or lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parents(definitions: list[Definition]) -> list[int | None]:
    """Index of each definition's innermost enclosing definition (input sorted by start, -end)."""
    parents: list[int | None] = []
    stack: list[int] = []
    for index, definition in enumerate(definitions):
        while stack and definitions[stack[-1]].end < definition.start:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(index)
    return parents


def merge_spans(spans: list[tuple[int, int]], lines: list[str]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans; spans apart only by blank lines become one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and all(not line.strip() for line in lines[merged[-1][1] : start - 1]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def render(path: str, lines: list[str], spans: list[tuple[int, int]], whole: bool) -> str:
    """A file block: its path, then numbered lines (cat -n style) in a fence the code cannot close."""
    fence = "```"
    while any(line.lstrip().startswith(fence) for line in lines):
        fence += "`"
    total = len(lines)
    note = "whole file" if whole else f"excerpt of a {total}-line file"
    body: list[str] = []
    for index, (start, end) in enumerate(spans):
        if index or start > 1:
            body.append("   ...")
        body.extend(f"{n:6d}\t{lines[n - 1]}" for n in range(start, end + 1))
    if spans and spans[-1][1] < total:
        body.append("   ...")
    return f"### {path} ({note})\n{fence}\n" + "\n".join(body) + f"\n{fence}\n"


def assemble(
    packed: list[PackedFile], omitted: list[str], budget: int, tokenizer: Tokenizer
) -> CodeContext:
    """Join the blocks and measure them; when the estimates fell short and the joined text is
    over the budget, drop trailing blocks until its own measured ratio says it fits, and
    measure again."""
    while True:
        text = "\n".join(block.text for block in packed)
        tokens = tokenizer.count_tokens(text) if text else 0
        if tokens <= budget or not packed:
            return CodeContext(text, tokens, budget, tuple(packed), tuple(omitted))
        measured = TokenEstimate.from_count(tokens, text)
        while packed and measured.of("\n".join(block.text for block in packed)) > budget:
            omitted.append(packed.pop().path)
