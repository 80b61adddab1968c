"""Prompts for review feedback: one thread's lines, or a whole review of the app's own PR."""

from __future__ import annotations

from dataclasses import dataclass

from workers.intake.messages import line_span
from workers.model.reply import ChatMessage
from workers.pipeline.prompts.fix import (
    IssueText,
    maintainer_instructions,
    prompt_template,
    system_prompt,
)
from workers.pipeline.prompts.sanitize import sanitize_untrusted

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


def _quoted(notes: list[ThreadNote]) -> str:
    blocks = []
    for note in notes:
        body = sanitize_untrusted(note.body, _MAX_NOTE)
        blocks.append(f'<comment on="{note.where()}">\n{body}\n</comment>')
    return "\n\n".join(blocks)


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
    user = prompt_template("fix_thread.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        path=path,
        span=line_span(first, last),
        excerpt=excerpt.rstrip("\n").replace("```", "`\u200b``"),
        thread=_quoted(notes),
        instructions=maintainer_instructions(instructions),
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
    user = prompt_template("review_followup.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        review=_quoted(notes),
        instructions=maintainer_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]
