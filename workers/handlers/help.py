"""`/iquest help`: one comment with the commands and the repository's effective settings."""

from __future__ import annotations

import logging

from workers.handlers.context import JobContext
from workers.intake.commands import parse_command
from workers.intake.dir_config import DIR_CONFIG_NAME, ancestors, effective_config, parse_dir_config
from workers.intake.jobs import TriggerSource
from workers.intake.messages import find_marked, help_marker, render_help
from workers.intake.repo_config import CONFIG_PATH, RepoConfig, render_effective_config

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
    unknown = path = ""
    if job.comment_id is not None:
        # A review-thread comment lives under another endpoint than a conversation comment.
        if job.source is TriggerSource.REVIEW_COMMENT:
            asking = ctx.github.get_review_comment(job.comment_id).body
        else:
            asking = ctx.github.get_issue_comment(job.comment_id).body
        command = parse_command(asking, ctx.rules.command_word)
        unknown = command.unknown if command else ""
        path = help_path(command.text) if command else ""
    config, config_path, config_error = ctx.config.config, CONFIG_PATH, ctx.config.error
    if path:
        config, config_path, config_error = _settings_for_path(ctx, path)
    body = render_help(
        trigger_comment_id=trigger_id,
        label=ctx.rules.label,
        word=ctx.rules.command_word,
        min_permission=ctx.config.config.min_permission.value,
        effective_config=render_effective_config(config),
        config_path=config_path,
        config_error=config_error,
        unknown_command=unknown,
    )
    comment = ctx.github.create_issue_comment(job.number, body)
    log.info("help answered job=%s delivery=%s comment=%s", job.job_id, job.delivery_id, comment.id)
    return comment.id


def help_path(text: str) -> str:
    """The path `/iquest help <path>` asks about, or "" (none, or not a plain repository path)."""
    words = text.split()
    path = words[0].strip("`'\"").strip("/") if words else ""
    parts = path.split("/")
    if not path or len(path) > 300 or any(p in ("", ".", "..") for p in parts):
        return ""
    return path


def _settings_for_path(ctx: JobContext, path: str) -> tuple[RepoConfig, str, str | None]:
    """The settings in force for `path`: `.github/iquest.yml` and each folder's `.iquest.yml`
    above it on the default branch (one read per folder; help only, never a fix)."""
    folders = ancestors(path)
    found = [
        parse_dir_config(folder, text)
        for folder in folders
        if (text := ctx.github.read_file(f"{folder}/{DIR_CONFIG_NAME}")) is not None
    ]
    config = effective_config(ctx.config.config, found, path)
    used = [CONFIG_PATH, *(c.path for c in found if c.error is None)]
    errors = [e for e in (ctx.config.error, *(c.error for c in found)) if e]
    where = " + ".join(used) + f", for {path}"
    return config, where, " ".join(errors) or None
