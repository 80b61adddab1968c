"""The prompt for a failed check on the app's own PR: the check's report and annotations, as data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workers.github.port import CheckAnnotation, CheckRun
from workers.intake.messages import line_span
from workers.model.reply import ChatMessage
from workers.pipeline.prompts.fix import (
    IssueText,
    maintainer_instructions,
    prompt_template,
    system_prompt,
)
from workers.pipeline.prompts.sanitize import sanitize_untrusted

MAX_LOG_TAIL = 4000  # a log's end says why it failed; its start is setup noise
_MAX_SUMMARY = 2000
_MAX_ANNOTATIONS = 30
_MAX_ANNOTATION = 500


@dataclass(frozen=True)
class CheckFailure:
    """What a failed check run reported, as read back from GitHub."""

    name: str
    title: str = ""
    summary: str = ""
    text: str = ""
    annotations: list[CheckAnnotation] = field(default_factory=list)

    @classmethod
    def of(cls, run: CheckRun, annotations: list[CheckAnnotation]) -> CheckFailure:
        # Notices are chatter; warnings and failures point at the code.
        kept = [a for a in annotations if a.level != "notice"]
        return cls(run.name, run.title, run.summary, run.text, kept)

    def annotated_paths(self) -> list[str]:
        return list(dict.fromkeys(a.path for a in self.annotations if a.path))

    def as_query(self) -> str:
        """What localization searches with: the report and the annotations' messages."""
        parts = [self.title, self.summary, tail(self.text, MAX_LOG_TAIL)]
        parts += [f"{a.path} {a.title} {a.message}" for a in self.annotations[:_MAX_ANNOTATIONS]]
        return "\n".join(p for p in parts if p)


def tail(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return "[… earlier output cut]\n" + text[-max_chars:]


def _report(failure: CheckFailure) -> str:
    sections = [
        ("Title", sanitize_untrusted(failure.title, 300)),
        ("Summary", sanitize_untrusted(failure.summary, _MAX_SUMMARY)),
        # The tail is cut before sanitizing, so the cap keeps the end of the log.
        ("Output (end)", sanitize_untrusted(tail(failure.text, MAX_LOG_TAIL), MAX_LOG_TAIL + 100)),
    ]
    text = "\n\n".join(f"{name}:\n{body}" for name, body in sections if body)
    return text or "(The check reported no output.)"


def _annotations(failure: CheckFailure) -> str:
    if not failure.annotations:
        return ""
    blocks = []
    for a in failure.annotations[:_MAX_ANNOTATIONS]:
        where = f"`{_attribute(a.path)}` {line_span(a.start_line, a.end_line)}"
        body = sanitize_untrusted(" — ".join(p for p in (a.title, a.message) if p), _MAX_ANNOTATION)
        blocks.append(f'<annotation on="{where}" level="{_attribute(a.level)}">\n{body}\n</annotation>')
    return "\nThe check's annotations (also data):\n\n" + "\n\n".join(blocks) + "\n"


def _attribute(text: str) -> str:
    """Text safe inside a quoted attribute of the prompt's data tags."""
    return re.sub(r'["<>\n\r`]', "", sanitize_untrusted(text, 200))


def render_ci_prompt(
    repository: str,
    code: str,
    pull: IssueText,
    instructions: str = "",
    *,
    failure: CheckFailure,
) -> list[ChatMessage]:
    """The fix prompt for a failed check run on the app's own draft PR."""
    user = prompt_template("ci_followup.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        check=_attribute(failure.name),
        report=_report(failure),
        annotations=_annotations(failure),
        instructions=maintainer_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]
