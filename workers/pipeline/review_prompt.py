"""Prompts for review feedback: one thread's lines, or a whole review of the app's own PR."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from string import Template

from workers.model.reply import ChatMessage
from workers.pipeline.prompt import IssueText, system_prompt
from workers.pipeline.sanitize import sanitize_untrusted

_MAX_NOTE = 4000


@dataclass(frozen=True)
class ThreadNote:
    """One comment of a review, quoted to the model: where it points and what it says."""

    body: str
    path: str = ""
    first: int | None = None
    last: int | None = None

    def where(self) -> str:
        if not self.path:
            return "the review"
        if self.last is None:
            return f"`{self.path}`"
        return f"`{self.path}` {line_span(self.first or self.last, self.last)}"


def line_span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}–{last}"


def _template(name: str) -> Template:
    return Template(resources.files("workers.model.prompts").joinpath(name).read_text())


def _quoted(notes: list[ThreadNote]) -> str:
    # The thread and review sit inside <thread>/<review> tags; a comment must not close them.
    blocks = []
    for note in notes:
        body = sanitize_untrusted(note.body, _MAX_NOTE).replace("</", "<\\/")
        blocks.append(f'<comment on="{note.where()}">\n{body}\n</comment>')
    return "\n\n".join(blocks)


def _instructions(text: str) -> str:
    if not text.strip():
        return ""
    return f"\nThe repository's maintainers ask: {sanitize_untrusted(text, _MAX_NOTE)}\n"


def render_thread_prompt(
    repository: str,
    code: str,
    pull: IssueText,
    instructions: str = "",
    *,
    path: str,
    first: int,
    last: int,
    excerpt: str,
    notes: list[ThreadNote],
) -> list[ChatMessage]:
    """The fix prompt for `/iquest fix` inside a review thread on `path` lines first..last."""
    user = _template("fix_thread.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        path=path,
        span=line_span(first, last),
        excerpt=excerpt.rstrip("\n").replace("```", "`\u200b``"),
        thread=_quoted(notes),
        instructions=_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]


def render_followup_prompt(
    repository: str,
    code: str,
    pull: IssueText,
    instructions: str = "",
    *,
    notes: list[ThreadNote],
) -> list[ChatMessage]:
    """The fix prompt for a review of the app's own draft PR: the review body and its comments."""
    user = _template("review_followup.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        review=_quoted(notes),
        instructions=_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]
