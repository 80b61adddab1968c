"""Running a cancel job: stop every other job queued or running on the same target."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from workers.handlers.context import load_context
from workers.handlers.intake import reply_refusal, upsert_status
from workers.intake.enqueue import queue_for
from workers.intake.jobs import CancelReason, Job, TriggerSource
from workers.intake.messages import StatusState, render_text
from workers.scheduling.quotas import take_light_job

if TYPE_CHECKING:
    from workers.runtime import Runtime

log = logging.getLogger("iquest.cancel")

_REASONS = {
    CancelReason.CLOSED: "it was closed before I finished.",
    CancelReason.UNLABELED: "the `{label}` label was removed before I finished.",
}


def run_cancel(job: Job, runtime: Runtime) -> None:
    lines = runtime.lines(queue_for(job, runtime.settings.queue_name))
    # Redis first: most closed issues have nothing running, and then nothing calls GitHub.
    targets = [other for other in lines.jobs_on(job) if other.kind is not job.kind]
    if not targets:
        log.info("nothing to cancel job=%s target=%s", job.job_id, job.target_key)
        return
    github = runtime.github_for(job)
    try:
        if job.source is not TriggerSource.ISSUE:
            # A person asked in a comment: the same live permission as asking for a fix.
            config = load_context(job, github, runtime.rules).config.config
            permission = github.get_permission(job.sender_login)
            if not permission.allows(config.min_permission):
                reply_refusal(github, job, f"you have `{permission.value}` permission here; this "
                              f"repository requires at least `{config.min_permission.value}` to "
                              "cancel a job.")
                return
            # Counted like help: cancel jobs go ahead of every fix.
            refused = take_light_job(runtime.window_counters, job, runtime.settings, True)
            if refused is not None:
                log.info("cancel not run job=%s: %s", job.job_id, refused)
                return
            reason = f"@{job.sender_login} asked me to stop."
        else:
            reason = _REASONS[job.cancel_reason or CancelReason.CLOSED].format(
                label=runtime.settings.trigger_label
            )
        for other in targets:
            # The flag stops a running job at its next model call or write; a waiting one
            # leaves its line and never starts.
            runtime.cancel_flags.cancel(other.job_id, reason)
            waiting = lines.withdraw(other)
            log.info("cancelled job=%s waiting=%s by job=%s", other.job_id, waiting, job.job_id)
        upsert_status(github, job, StatusState.CANCELLED, render_text("cancelled.md", reason=reason))
    finally:
        github.close()
