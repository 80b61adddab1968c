"""Where is my job? The status comment of a waiting job shows how many jobs are ahead of it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from workers.github.port import GitHubPort
from workers.handlers.context import load_context
from workers.handlers.intake import upsert_status
from workers.intake.jobs import Job
from workers.intake.messages import StatusState, render_text
from workers.scheduling.quotas import daily_limits

if TYPE_CHECKING:
    from workers.runtime import Runtime

log = logging.getLogger("iquest.queue_status")


def announce_position(job_id: str, queue: str, runtime: Runtime) -> None:
    """Best effort, once per job: it starts soon anyway, and its start rewrites the status."""
    lines = runtime.lines(queue)
    job = lines.job(job_id)
    ahead = lines.position(job) if job is not None else None
    if job is None or not ahead:
        # Started, cancelled, or first in line: the job's own start says the rest.
        return
    github = None
    try:
        github = runtime.github_for(job)
        if not _would_accept(job, github, runtime):
            return  # its start answers the asker; the status comment stays as it was
        # Asked again just before writing, so a job that started meanwhile keeps its status.
        if not lines.position(job):
            return
        upsert_status(
            github, job, StatusState.QUEUED,
            render_text("queued_position.md", ahead=f"{ahead} job{'s' if ahead != 1 else ''}"),
        )
    except Exception as error:  # a missed announcement costs only a less informative status
        log.warning("could not announce position job=%s: %s", job_id, error)
    finally:
        if github is not None:
            github.close()


def _would_accept(job: Job, github: GitHubPort, runtime: Runtime) -> bool:
    """What the job's start will check first (settings, live permission, quota, uncounted)."""
    config = load_context(job, github, runtime.rules).config.config
    if not config.enabled or not github.get_permission(job.sender_login or "").allows(config.min_permission):
        return False
    return runtime.quotas.peek(job, daily_limits(runtime.settings, config.quotas)) is None
