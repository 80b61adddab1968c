"""What the bot says on GitHub: templates, hidden markers that find its own comments again, states."""

from __future__ import annotations

import re
from enum import StrEnum
from importlib import resources
from string import Template

from workers.github.port import Comment


class StatusState(StrEnum):
    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    HELD = "held"  # a fix exists but `require_verified` keeps it out of a pull request


_HEADLINES = {
    StatusState.QUEUED: "👀 Queued: I will look at this and propose a fix.",
    StatusState.WORKING: "⏳ Working on a fix.",
    StatusState.DONE: "✅ Done.",
    StatusState.FAILED: "❌ I could not finish this.",
    StatusState.REFUSED: "🚫 I will not act on this.",
    StatusState.CANCELLED: "⏹️ Cancelled.",
    StatusState.HELD: "✋ A fix is ready, held back: it is not proven.",
}


def status_marker(number: int) -> str:
    return f"<!-- iquest:status number={number} -->"


def help_marker(trigger_comment_id: int) -> str:
    return f"<!-- iquest:help comment={trigger_comment_id} -->"


def line_span(first: int, last: int) -> str:
    """How the bot names a range of lines: "line 3" or "lines 3–5"."""
    return f"line {first}" if first == last else f"lines {first}–{last}"


def refusal_marker(job_id: str) -> str:
    # Keyed by the refused job, so a redelivered trigger finds its answer instead of repeating it.
    return f"<!-- iquest:refusal job={job_id} -->"


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def render_text(name: str, **values: object) -> str:
    """A user-facing sentence from its template in workers/templates."""
    return _template(name).substitute({k: str(v) for k, v in values.items()}).strip()


def no_command_lines(text: str) -> str:
    # The bot's own comments must never trigger the bot: indent any line that would parse
    # as a command.
    return re.sub(r"(?m)^(\s*)/", "\\1\u200b/", text)


def render_status(number: int, state: StatusState, job_id: str, details: str = "") -> str:
    body = _template("status.md").substitute(
        marker=status_marker(number),
        headline=_HEADLINES[state],
        details=details,
        job_id=job_id,
    )
    return no_command_lines(body)


def render_refusal(job_id: str, asker: str, reason: str) -> str:
    body = _template("refusal.md").substitute(
        marker=refusal_marker(job_id), asker=asker, reason=reason
    )
    return no_command_lines(body)


def render_help(
    trigger_comment_id: int,
    label: str,
    word: str,
    min_permission: str,
    effective_config: str,
    config_path: str,
    config_error: str | None,
    unknown_command: str = "",
) -> str:
    body = _template("help.md").substitute(
        marker=help_marker(trigger_comment_id),
        label=label,
        word=word,
        min_permission=min_permission,
        effective_config=effective_config,
        config_path=config_path,
        unknown_note=(f"\n`{unknown_command}` is not a command I know.\n" if unknown_command else ""),
        config_error=(f"\n⚠️ {config_error} I am using the defaults until it is fixed.\n" if config_error else ""),
    )
    return no_command_lines(body)


def find_marked(comments: list[Comment], marker: str) -> Comment | None:
    """The app's own comment carrying `marker`; a human or another bot quoting it does not count."""
    for comment in comments:
        if marker in comment.body and comment.by_app:
            return comment
    return None
