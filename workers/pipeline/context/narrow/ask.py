"""The two narrowing questions (which files, then which functions) and how their answers
join the ranking."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from workers.model.port import ChatModel
from workers.model.reply import ChatMessage, ModelError
from workers.pipeline.context.localize import Localization
from workers.pipeline.context.narrow.outline import repository_structure, skeleton

log = logging.getLogger(__name__)

DEFAULT_BUDGET_TOKENS = 8000
REPLY_TOKENS = 300
# The issue may take this share of a question's prompt; the structure gets the rest.
ISSUE_SHARE = 0.35
# Characters per token the prompts are cut with: below any code tokenizer's average, so the
# cut prompt stays inside the budget without asking the model server to count.
CHARS_PER_TOKEN = 2.5
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s*")


@dataclass(frozen=True)
class Narrowing:
    """The model's picks: existing paths, best first, and function names per path."""

    paths: tuple[str, ...] = ()
    functions: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Narrower:
    """Asks `model` two short questions within budget_tokens (prompts and replies together).

    `issue_text` must already be sanitized like every issue text quoted to the model.
    """

    model: ChatModel
    issue_text: str
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    max_files: int = 5
    max_functions: int = 12

    def narrow(self, root: str | Path, localization: Localization) -> Narrowing:
        """The model's picks, or an empty Narrowing when it fails or answers nothing usable."""
        root = Path(root)
        prompt_chars = int((self.budget_tokens / 2 - REPLY_TOKENS) * CHARS_PER_TOKEN)
        if prompt_chars <= 0:
            return Narrowing()
        issue = _cut(self.issue_text, int(prompt_chars * ISSUE_SHARE))
        frame = _template("files.md").substitute(
            issue=issue, structure="", max_files=self.max_files
        )
        structure, shown = repository_structure(
            localization.all_paths, localization.paths, prompt_chars - len(frame)
        )
        answer = self._ask(
            _template("files.md").substitute(
                issue=issue, structure=structure, max_files=self.max_files
            )
        )
        paths = _paths(answer, shown)[: self.max_files]
        if not paths:
            return Narrowing()
        frame = _template("functions.md").substitute(
            issue=issue, skeletons="", max_functions=self.max_functions
        )
        room = (prompt_chars - len(frame)) // len(paths)
        skeletons = "\n\n".join(skeleton(root, path, room) for path in paths)
        answer = self._ask(
            _template("functions.md").substitute(
                issue=issue, skeletons=skeletons, max_functions=self.max_functions
            )
        )
        return Narrowing(tuple(paths), _functions(answer, paths, self.max_functions))

    def _ask(self, prompt: str) -> str:
        try:
            return self.model.complete([ChatMessage("user", prompt)], REPLY_TOKENS).text
        except ModelError as error:
            # Narrowing is a hint: without it the issue's own evidence and the ranking remain.
            log.warning("narrowing skipped: %s", error)
            return ""


def merge_ranking(localization: Localization, narrowing: Narrowing, limit: int) -> list[str]:
    """Files the issue itself names first, then the model's picks interleaved with the
    ranking's (a pick first): one more piece of evidence, never the only one."""
    ranked = localization.paths
    named = [f.path for f in localization.files if f.signals.get("mention", 0.0) > 0]
    rest = [p for p in ranked if p not in named]
    picks = [p for p in narrowing.paths if p not in named]
    merged = list(named)
    for index in range(max(len(rest), len(picks))):
        for source in (picks, rest):
            if index < len(source) and source[index] not in merged:
                merged.append(source[index])
    return merged[: max(limit, len(named) + len(picks))]


def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath("templates", name).read_text())


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + "\n[… truncated]"


def _clean(line: str) -> str:
    line = _BULLET.sub("", line.strip()).strip("`*\"' ")
    return line[2:] if line.startswith("./") else line


def _paths(answer: str, shown: Sequence[str]) -> list[str]:
    """Answered paths the structure listed (anything else is ignored), in answer order."""
    allowed = set(shown)
    found: list[str] = []
    for line in answer.splitlines():
        path = _clean(line)
        if path in allowed and path not in found:
            found.append(path)
    return found


def _functions(answer: str, paths: Sequence[str], limit: int) -> dict[str, frozenset[str]]:
    """`path::name` lines for the picked paths: the name and, for `Class.method`, the method."""
    names: dict[str, set[str]] = {}
    count = 0
    for line in answer.splitlines():
        path, sep, name = _clean(line).partition("::")
        name = name.strip().rstrip("()")
        if not sep or path not in paths or not name or count >= limit:
            continue
        names.setdefault(path, set()).update({name, name.rsplit(".", 1)[-1]})
        count += 1
    return {path: frozenset(found) for path, found in names.items()}
