"""`/iquest help`: one comment with the commands and the repository's effective settings."""

from __future__ import annotations

import logging

from workers.handlers.context import JobContext
from workers.intake.commands import parse_command
from workers.intake.jobs import TriggerSource
from workers.intake.messages import find_marked, help_marker, render_help
from workers.intake.repo_config import CONFIG_PATH, render_effective_config

log = logging.getLogger("iquest.handlers.help")


def answer_help(ctx: JobContext, command_text: str | None = None) -> int:
    """Post the help comment once per asking comment; returns the comment id."""
    job = ctx.job
    trigger_id = job.comment_id or 0
    marker = help_marker(trigger_id)
    # Idempotent: a retried or redelivered job finds the answer it already gave.
    existing = find_marked(ctx.github.list_issue_comments(job.number), marker)
    if existing is not None:
        log.info("help already answered job=%s comment=%s", job.job_id, existing.id)
        return existing.id
    unknown = ""
    if job.comment_id is not None:
        # A review-thread comment lives under another endpoint than a conversation comment.
        if job.source is TriggerSource.REVIEW_COMMENT:
            asking = ctx.github.get_review_comment(job.comment_id).body
        else:
            asking = ctx.github.get_issue_comment(job.comment_id).body
        command = parse_command(asking, ctx.rules.command_word)
        unknown = command.unknown if command else ""
    body = render_help(
        trigger_comment_id=trigger_id,
        label=ctx.rules.label,
        word=ctx.rules.command_word,
        min_permission=ctx.config.config.min_permission.value,
        effective_config=render_effective_config(ctx.config.config),
        config_path=CONFIG_PATH,
        config_error=ctx.config.error,
        unknown_command=unknown,
    )
    comment = ctx.github.create_issue_comment(job.number, body)
    log.info("help answered job=%s delivery=%s comment=%s", job.job_id, job.delivery_id, comment.id)
    return comment.id
