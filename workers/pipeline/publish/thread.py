"""Answer a review thread: one reply with a suggestion for its lines, or the diff that reaches beyond."""

from __future__ import annotations

from importlib import resources
from string import Template

from workers.github.port import GitHubPort, ReviewComment
from workers.intake.messages import line_span, no_command_lines
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.suggestions import LinesSuggestion

_MAX_ROOT_CAUSE = 1500


def thread_marker(request_id: int) -> str:
    # One reply per asking comment: a retried job finds it, a new request gets a new one.
    return f"<!-- iquest:thread request={request_id} -->"


def find_reply(comments: list[ReviewComment], marker: str) -> ReviewComment | None:
    """The app's own reply carrying `marker`; a human or another bot quoting it does not count."""
    return next((c for c in comments if c.by_app and marker in c.body), None)


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def _root_cause(proposal: FixProposal) -> str:
    text = proposal.root_cause.strip()[:_MAX_ROOT_CAUSE] or "_The model did not state one._"
    return no_command_lines(text)


def render_thread_reply(
    request_id: int, first: int, last: int, proposal: FixProposal, suggestion: LinesSuggestion
) -> str:
    span = line_span(first, last)
    if suggestion.body:
        # The suggestion block is code: fenced, so it never reads as a command, and it must
        # stay byte for byte what the fix computed.
        return _template("thread_suggestion.md").substitute(
            marker=thread_marker(request_id),
            span=span,
            suggestion=suggestion.body,
            root_cause=_root_cause(proposal),
        )
    return _template("thread_beyond.md").substitute(
        marker=thread_marker(request_id),
        span=span,
        reason=suggestion.reason,
        root_cause=_root_cause(proposal),
        diff=proposal.diff.rstrip("\n").replace("```", "`\u200b``"),
    )


def reply_in_thread(
    github: GitHubPort, number: int, root: ReviewComment, request_id: int, body: str
) -> ReviewComment:
    """Post `body` in `root`'s thread unless the reply for `request_id` is already there."""
    existing = find_reply(github.list_review_comments(number), thread_marker(request_id))
    if existing is not None:
        return existing
    return github.reply_to_review_comment(number, root.id, body)
