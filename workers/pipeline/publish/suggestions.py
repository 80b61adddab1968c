"""A fix as review suggestions: whether every change lands on lines GitHub lets a review comment on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import unidiff

from workers.github.port import PullFile, ReviewCommentDraft
from workers.pipeline.edits.textfile import split_keepends

_BACKTICKS = re.compile(r"`{3,}")


@dataclass(frozen=True)
class SuggestionPlan:
    comments: list[ReviewCommentDraft] = field(default_factory=list)
    # Why the fix cannot be posted as suggestions; "" when it can.
    reason: str = ""

    @property
    def fits(self) -> bool:
        return not self.reason and bool(self.comments)


def commentable_lines(patch: str | None) -> dict[int, int]:
    """RIGHT-side line number → hunk index, for the lines GitHub accepts review comments on.

    GitHub takes a comment only on a line shown in one of the PR diff's hunks (added or
    context), and a multi-line comment only when both ends are in the same hunk.
    """
    if not patch:
        return {}
    text = patch if patch.endswith("\n") else patch + "\n"
    # GitHub's `patch` has no file header; unidiff needs one.
    parsed = unidiff.PatchSet("--- a/f\n+++ b/f\n" + text)
    lines: dict[int, int] = {}
    for patched in parsed:
        for index, hunk in enumerate(patched):
            for line in hunk:
                if line.target_line_no is not None:
                    lines[line.target_line_no] = index
    return lines


def suggestion_body(new_lines: Sequence[str]) -> str:
    """A ```suggestion block whose content replaces the commented lines exactly."""
    content = "".join(new_lines)
    # A fence longer than any backtick run inside keeps code with ``` intact.
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(content)), default=0)
    fence = "`" * max(3, longest + 1)
    if content and not content.endswith("\n"):
        content += "\n"
    return f"{fence}suggestion\n{content}{fence}"


@dataclass(frozen=True)
class _Span:
    first: int  # 1-based, inclusive, in the PR head's numbering
    last: int
    replacement: list[str]


def _fits(span: _Span, lines: Mapping[int, int], claimed: set[int]) -> bool:
    wanted = range(span.first, span.last + 1)
    hunks = {lines.get(n) for n in wanted}
    return len(hunks) == 1 and None not in hunks and not claimed.intersection(wanted)


def _spans(old: list[str], new: list[str]) -> list[tuple[_Span, ...]]:
    """Each changed region as the spans that could express it, preferred first."""
    out: list[tuple[_Span, ...]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:  # replace or delete: exactly the old lines
            out.append((_Span(i1 + 1, i2, new[j1:j2]),))
            continue
        # A pure insertion has no line of its own to hang on: rewrite a neighbour as itself
        # plus the new lines, the line before first, else the line after.
        options = []
        if i1 >= 1:
            options.append(_Span(i1, i1, [old[i1 - 1], *new[j1:j2]]))
        if i1 < len(old):
            options.append(_Span(i1 + 1, i1 + 1, [*new[j1:j2], old[i1]]))
        out.append(tuple(options))
    return out


def _file_comments(
    path: str, old_text: str, new_text: str, lines: Mapping[int, int]
) -> list[ReviewCommentDraft] | str:
    old, new = split_keepends(old_text), split_keepends(new_text)
    if old and new and old[-1].endswith("\n") != new[-1].endswith("\n"):
        # A suggestion cannot add or drop the newline at the end of the file.
        return f"`{path}`: the fix changes the file's final newline"
    comments = []
    claimed: set[int] = set()
    for options in _spans(old, new):
        span = next((s for s in options if _fits(s, lines, claimed)), None)
        if span is None:
            first = options[0].first if options else 1
            return f"`{path}` line {first} is outside the pull request's diff"
        claimed.update(range(span.first, span.last + 1))
        comments.append(
            ReviewCommentDraft(
                path=path,
                line=span.last,
                start_line=span.first if span.first < span.last else None,
                body=suggestion_body(span.replacement),
            )
        )
    return comments


def plan_suggestions(
    pull_files: Sequence[PullFile],
    head_texts: Mapping[str, str | None],
    changes: Mapping[str, str | None],
) -> SuggestionPlan:
    """Review comments for every change, or the reason the fix does not fit as suggestions.

    `head_texts` holds each changed file's text at the PR head (None: not there), `changes`
    its text after the fix (None: deleted).
    """
    by_path = {f.path: f for f in pull_files}
    comments: list[ReviewCommentDraft] = []
    for path in sorted(changes):
        new_text, old_text = changes[path], head_texts.get(path)
        if old_text is None:
            return SuggestionPlan(reason=f"`{path}` would be a new file")
        if new_text is None:
            return SuggestionPlan(reason=f"`{path}` would be deleted")
        pull_file = by_path.get(path)
        if pull_file is None or pull_file.status == "removed":
            return SuggestionPlan(reason=f"`{path}` is not part of the pull request")
        found = _file_comments(path, old_text, new_text, commentable_lines(pull_file.patch))
        if isinstance(found, str):
            return SuggestionPlan(reason=found)
        comments.extend(found)
    if not comments:
        return SuggestionPlan(reason="the fix changes nothing")
    return SuggestionPlan(comments=comments)


@dataclass(frozen=True)
class LinesSuggestion:
    """One suggestion replacing lines `first`..`last` of one file, or why the fix does not fit."""

    body: str = ""
    reason: str = ""


def suggest_within(
    path: str,
    first: int,
    last: int,
    head_text: str | None,
    changes: Mapping[str, str | None],
) -> LinesSuggestion:
    """A ```suggestion for a review thread on `path` lines `first`..`last` (1-based, inclusive).

    It fits only when the fix leaves every other file, and every line of `path` outside the
    range, exactly as it is: then the new text of the range is the suggestion.
    """
    if path not in changes:
        return LinesSuggestion(reason=f"the fix does not change `{path}`")
    others = sorted(p for p in changes if p != path)
    if others:
        return LinesSuggestion(reason=f"the fix also changes `{others[0]}`")
    new_text = changes[path]
    if head_text is None or new_text is None:
        return LinesSuggestion(reason=f"the fix creates or deletes `{path}`")
    old, new = split_keepends(head_text), split_keepends(new_text)
    if not 1 <= first <= last <= len(old):
        return LinesSuggestion(reason=f"lines {first}–{last} are not in `{path}` any more")
    before, after = old[: first - 1], old[last:]
    inside = len(new) - len(before) - len(after)
    if inside < 0 or new[: len(before)] != before or new[len(new) - len(after) :] != after:
        return LinesSuggestion(reason=f"the fix changes lines of `{path}` outside {_span(first, last)}")
    replacement = new[len(before) : len(new) - len(after)]
    if replacement == old[first - 1 : last]:
        return LinesSuggestion(reason="the fix changes nothing on these lines")
    if not after and (not replacement or not replacement[-1].endswith("\n")) and old[-1].endswith("\n"):
        # A suggestion cannot drop the newline at the end of the file.
        return LinesSuggestion(reason=f"the fix changes the final newline of `{path}`")
    return LinesSuggestion(body=suggestion_body(replacement))


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}–{last}"
