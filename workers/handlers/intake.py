"""Accepting a fix trigger: live permission check, 👀 on the trigger, and the one status comment.

A trigger that is refused starts no job, so it never touches the status comment (which keeps
the last job's outcome): the asker gets a short reply of its own instead.
"""

from __future__ import annotations

import logging

from workers.github.port import Comment, GitHubPort, ReactionTarget
from workers.handlers.context import JobContext
from workers.intake.jobs import Job, TriggerSource
from workers.intake.messages import (
    StatusState,
    find_marked,
    refusal_marker,
    render_refusal,
    render_status,
    status_marker,
)

log = logging.getLogger("iquest.handlers.intake")

_REACTION_TARGETS = {
    TriggerSource.ISSUE: ReactionTarget.ISSUE,
    TriggerSource.ISSUE_COMMENT: ReactionTarget.ISSUE_COMMENT,
    TriggerSource.REVIEW_COMMENT: ReactionTarget.REVIEW_COMMENT,
}


def upsert_status(
    github: GitHubPort, job: Job, state: StatusState, details: str = ""
) -> Comment:
    """Edit the bot's status comment on the target, or create it the first time.

    Its id is remembered with the target (the adapter keeps it in Redis), so an update is one
    edit; the thread is searched for the marker only when the id is unknown or gone.
    """
    body = render_status(job.number, state, job.job_id, details)
    return github.upsert_marked_comment(job.number, status_marker(job.number), body)


def reply_refusal(github: GitHubPort, job: Job, reason: str) -> Comment:
    """Answer a refused trigger with its own comment, once per job, never via the status."""
    existing = find_marked(github.list_issue_comments(job.number), refusal_marker(job.job_id))
    if existing is not None:
        return existing
    log.info("refused job=%s delivery=%s: %s", job.job_id, job.delivery_id, reason)
    return github.create_issue_comment(
        job.number, render_refusal(job.job_id, job.sender_login or "", reason)
    )


def accept_fix_trigger(ctx: JobContext, working: str = "") -> bool:
    """True when the job may go on; otherwise the user has been told why not.

    An accepted job's status says "Working" (with `working` as its details) straight away:
    the worker runs the job as it accepts it, so a separate "Queued" edit would be a wasted call.
    """
    job, github, config = ctx.job, ctx.github, ctx.config.config
    if not config.enabled:
        log.info("disabled by repository settings job=%s", job.job_id)
        return False
    permission = github.get_permission(job.sender_login)
    if not permission.allows(config.min_permission):
        reply_refusal(
            github,
            job,
            f"you have `{permission.value}` permission here; this repository requires at "
            f"least `{config.min_permission.value}` to ask for a fix.",
        )
        return False
    # After the permission check, so nobody can spend a quota they may not use; before the
    # 👀 and any model call, so a refused job costs nothing.
    refusal = ctx.take_quota(ctx) if ctx.take_quota is not None else None
    if refusal is not None:
        reply_refusal(github, job, refusal)
        return False
    target = _REACTION_TARGETS.get(job.source)
    target_id = job.number if job.source is TriggerSource.ISSUE else job.comment_id
    if target is not None and target_id is not None:
        github.add_reaction(target, target_id, "eyes")
    details = working
    if ctx.config.error:
        warning = f"⚠️ {ctx.config.error} I am using the defaults until it is fixed."
        details = f"{warning}\n\n{working}" if working else warning
    upsert_status(github, job, StatusState.WORKING, details)
    log.info("accepted job=%s delivery=%s target=%s", job.job_id, job.delivery_id, job.target_key)
    return True
