"""What an issue's text says, read once per job: the files it names, its identifiers, its terms.

Localization ranks files with it and packing picks the lines to show with it, so both read
the same record instead of parsing the issue twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from workers.pipeline.context.localize.boilerplate import strip_boilerplate
from workers.pipeline.context.localize.identifiers import extract_identifiers, extract_joined_words
from workers.pipeline.context.localize.lexical import build_query
from workers.pipeline.context.localize.mentions import (
    Mention,
    MentionKind,
    PathIndex,
    find_mentions,
)

# Mentions whose line number points at the code itself (a traceback frame, a blob URL's #L).
LINE_KINDS = (MentionKind.TRACEBACK, MentionKind.URL)


@dataclass(frozen=True)
class IssueEvidence:
    """The issue's mentions (resolved against the tree), identifiers and query terms."""

    mentions: tuple[Mention, ...] = ()
    identifiers: dict[str, float] = field(default_factory=dict)
    joined_words: dict[str, float] = field(default_factory=dict)
    query: Counter[str] = field(default_factory=Counter)
    # The title is the reporter's own summary: it gets a retrieval of its own.
    title_query: Counter[str] = field(default_factory=Counter)
    # Definitions to favour per path when a file is cut to parts (model-assisted narrowing).
    focus: dict[str, frozenset[str]] = field(default_factory=dict)

    def pointed_lines(self, path: str) -> set[int]:
        """Lines of `path` the issue points at (traceback frames, blob URLs with a line)."""
        return {m.line for m in self.mentions if m.path == path and m.line and m.kind in LINE_KINDS}


def read_issue(text: str, paths: Iterable[str]) -> IssueEvidence:
    """Parse the issue's text once, resolving the files it names against the tree's paths.

    Template comments, checklists and installed-version listings are left out first
    (boilerplate.py): they name the reporter's setup, not the code.
    """
    text = strip_boilerplate(text)
    return IssueEvidence(
        mentions=tuple(find_mentions(text, PathIndex(list(paths)))),
        identifiers=extract_identifiers(text),
        joined_words=extract_joined_words(text),
        query=build_query(text),
        title_query=build_query(text.strip().split("\n", 1)[0]),
    )
