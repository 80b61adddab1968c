"""Splitting a response's prose into root cause, explanation and test suggestions."""

from __future__ import annotations

import enum
import re


class Section(enum.Enum):
    INTRO = "intro"
    ROOT_CAUSE = "root_cause"
    EXPLANATION = "explanation"
    TESTS = "tests"


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_BOLD = re.compile(r"^\s*(?:\*\*|__)(?P<title>[^*_]{2,60}?)(?:\*\*|__)\s*:?\s*(?P<rest>.*)$")
_LABEL = re.compile(
    r"^\s*(?P<title>root cause|cause|analysis|diagnosis|explanation|changes|fix|solution|"
    r"summary|tests?|testing|test suggestions?|suggested tests?)\s*:\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


def _classify(title: str) -> Section:
    lowered = title.lower().strip(" :*_#")
    if "test" in lowered:
        return Section.TESTS
    if "cause" in lowered or "diagnos" in lowered or "analysis" in lowered or "problem" in lowered:
        return Section.ROOT_CAUSE
    return Section.EXPLANATION


def _heading(line: str) -> tuple[Section, str] | None:
    for pattern in (_HEADING, _BOLD, _LABEL):
        match = pattern.match(line)
        if match:
            rest = match.groupdict().get("rest") or ""
            return _classify(match.group("title")), rest
    return None


def _tidy(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def extract_analysis(prose: list[str]) -> tuple[str, str, str]:
    """(root cause, explanation, tests) from the prose lines around the edits.

    Headed sections win ("## Root cause", "**Tests:**", "Explanation:"); without them
    the first paragraph is taken as the root cause and the rest as the explanation.
    """
    sections: dict[Section, list[str]] = {section: [] for section in Section}
    current = Section.INTRO
    in_code = False
    for line in prose:
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        found = None if in_code else _heading(line)
        if found:
            current, rest = found
            if rest.strip():
                sections[current].append(rest)
            continue
        sections[current].append(line)
    intro = _tidy(sections[Section.INTRO])
    root_cause = _tidy(sections[Section.ROOT_CAUSE])
    explanation = _tidy(sections[Section.EXPLANATION])
    if not root_cause and intro:
        first, _, remainder = intro.partition("\n\n")
        root_cause, intro = first.strip(), remainder.strip()
    if intro:
        explanation = f"{intro}\n\n{explanation}".strip()
    return root_cause, explanation, _tidy(sections[Section.TESTS])
