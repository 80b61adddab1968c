"""Run one job: hold the target's lease, load the repository's settings, hand to the job's handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from redis.exceptions import RedisError

from workers.github.port import GitHubError, GitHubPort
from workers.handlers.cancel import run_cancel
from workers.handlers.ci_followup import ci_followup
from workers.handlers.context import JobContext, load_context
from workers.handlers.fix_alert import fix_alert, report_alert
from workers.handlers.fix_issue import FixServices, fix_issue
from workers.handlers.fix_pull import fix_pull
from workers.handlers.fix_thread import fix_thread
from workers.handlers.help import answer_help
from workers.handlers.intake import upsert_status
from workers.handlers.ledger import LedgerUnavailable, record_outcome
from workers.handlers.repair import repair
from workers.handlers.review_followup import review_followup
from workers.intake.jobs import Job, JobKind
from workers.intake.messages import StatusState, render_text
from workers.intake.repair_store import RepairResult, RepairStatus
from workers.model.reply import ModelError
from workers.pipeline.context.snapshot import SnapshotError
from workers.runtime import Runtime
from workers.scheduling.cancel_flags import JobCancelled
from workers.scheduling.quotas import daily_limits, effective, take_light_job
from workers.scheduling.target_lock import TargetLeased

log = logging.getLogger("iquest.jobs")


class TransientJobError(RuntimeError):
    """Worth retrying later: GitHub 5xx or rate limit, Redis trouble, target busy."""


class TargetBusy(TransientJobError):
    """Another job holds the target: worth trying again when its lease could have ended."""

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class JobOutcome(StrEnum):
    """How one run of a job ended (the `outcome` label of the job metrics)."""

    DONE = "done"  # the handler ran to its end, whatever it told the user
    FAILED = "failed"  # stopped by a permanent error, reported on the target
    RETRYING = "retrying"  # transient trouble; the task runs again later
    WAITING = "waiting"  # another job holds the target; this one runs again when it may be free
    GAVE_UP = "gave_up"  # transient trouble past the retry limit, reported on the target
    CRASHED = "crashed"  # a bug of ours
    CANCELLED = "cancelled"  # stopped by /iquest cancel, a closed issue or a removed label
    INTERRUPTED = "interrupted"  # the worker shut down mid-run; the message goes back to the queue


# The handler for each GitHub job kind; every fix handler takes the pipeline's services.
_FIX_HANDLERS: dict[JobKind, Callable[[JobContext, FixServices], None]] = {
    JobKind.FIX_ISSUE: fix_issue,
    JobKind.FIX_PULL: fix_pull,
    JobKind.FIX_REVIEW_THREAD: fix_thread,
    JobKind.REVIEW_FOLLOWUP: review_followup,
    JobKind.CI_FOLLOWUP: ci_followup,
    JobKind.FIX_ALERT: fix_alert,
}


def handle_job(ctx: JobContext, runtime: Runtime) -> None:
    if ctx.job.kind is JobKind.HELP:
        # Help goes ahead of every fix: it is counted, and people who may not trigger fixes
        # get a few answers an hour, not one per comment they post.
        login = ctx.job.sender_login or ""
        may_trigger = bool(login) and ctx.github.get_permission(login).allows(
            ctx.config.config.min_permission)
        refused = take_light_job(runtime.window_counters, ctx.job, runtime.settings, may_trigger)
        if refused is not None:
            log.info("help not answered job=%s: %s", ctx.job.job_id, refused)
            return
        answer_help(ctx)
        return
    job, quotas = ctx.job, ctx.config.config.quotas

    def show_wait(ahead: int) -> None:
        upsert_status(ctx.github, job, StatusState.WORKING, render_text("model_waiting.md", ahead=ahead))

    def show_resume() -> None:
        upsert_status(ctx.github, job, StatusState.WORKING, "Asking the model.")

    budget = effective(runtime.settings.job_token_budget, quotas.tokens_per_job)
    structured = ctx.config.config.structured_output
    if job.kind is JobKind.FIX_ALERT:
        # No status comment to show the wait in: an alert's number is not an issue's.
        model = runtime.model_for(job, token_budget=budget, structured=structured)
    else:
        model = runtime.model_for(job, token_budget=budget, on_wait=show_wait, on_resume=show_resume,
                                  structured=structured)
    _FIX_HANDLERS[job.kind](ctx, runtime.fix_services(ctx.github, model))


def take_quota(runtime: Runtime) -> Callable[[JobContext], str | None]:
    """Counts an accepted job against today's quotas: the deployment's, lowered by the repo's."""

    def take(ctx: JobContext) -> str | None:
        limits = daily_limits(runtime.settings, ctx.config.config.quotas)
        return runtime.quotas.take(ctx.job, limits)

    return take


def run_repair_job(job: Job, runtime: Runtime) -> JobOutcome:
    """A /repair job: no GitHub, no target lock (its files are its own); the result goes to Redis."""
    try:
        repair(job, runtime.repair_services(job))
    except RedisError as error:
        raise TransientJobError(f"redis: {error}") from error
    except ModelError as error:
        if error.transient:
            raise TransientJobError(str(error)) from error
        report_failure(job, runtime, str(error))
        return JobOutcome.FAILED
    return JobOutcome.DONE


def run_ledger_outcome(job: Job, runtime: Runtime) -> JobOutcome:
    """A webhook's fact about a fix, written to the ledger: no GitHub, no model, no lock."""
    if job.outcome is None:
        return JobOutcome.DONE
    try:
        record_outcome(job, job.outcome, runtime.ledger, runtime.metrics)
    except LedgerUnavailable as error:
        raise TransientJobError(str(error)) from error
    return JobOutcome.DONE


def run_job(job: Job, runtime: Runtime) -> JobOutcome:
    if job.kind is JobKind.REPAIR:
        return run_repair_job(job, runtime)
    if job.kind is JobKind.LEDGER:
        return run_ledger_outcome(job, runtime)
    if job.outcome is not None:
        # A review that requested changes: counted, then followed up like any review. A
        # redelivery counts again only if the job runs again, which dedupe prevents.
        try:
            run_ledger_outcome(job, runtime)
        except TransientJobError as error:
            log.error("ledger outcome not recorded job=%s: %s", job.job_id, error)
    if job.kind is JobKind.CANCEL:
        # No target lock: the job it stops holds it.
        try:
            run_cancel(job, runtime)
        except GitHubError as error:
            if error.transient:
                raise TransientJobError(str(error)) from error
            log.error("cancel failed job=%s: %s", job.job_id, error)
            return JobOutcome.FAILED
        except RedisError as error:
            raise TransientJobError(f"redis: {error}") from error
        return JobOutcome.DONE
    try:
        with runtime.target_locks.hold(job.target_key, job.job_id):
            return _run_github_job(job, runtime)
    except TargetLeased as busy:
        raise TargetBusy(str(busy), retry_after_seconds=busy.remaining_seconds) from busy
    except RedisError as error:
        raise TransientJobError(f"redis: {error}") from error


def _run_github_job(job: Job, runtime: Runtime) -> JobOutcome:
    github = None
    try:
        github = runtime.github_for(job)
        runtime.cancel_flags.guard(job.job_id)()
        handle_job(load_context(job, github, runtime.rules, take_quota(runtime)), runtime)
        return JobOutcome.DONE
    except JobCancelled as error:
        # Whoever cancelled it has written its final status; it writes nothing more.
        log.info("cancelled job=%s delivery=%s: %s", job.job_id, job.delivery_id, error)
        return JobOutcome.CANCELLED
    except GitHubError as error:
        if error.status == 401 and github is not None:
            # The cached token was revoked (an App permission change, a key rotation): the
            # retry mints a new one instead of failing on the old one until it expires.
            runtime.forget_token(job)
            raise TransientJobError(f"the installation token was refused: {error}") from error
        if error.transient:
            raise TransientJobError(str(error)) from error
        log.error("job failed job=%s delivery=%s: %s", job.job_id, job.delivery_id, error)
        report_failure(job, runtime, f"GitHub refused a request: {error}")
    except ModelError as error:
        if error.transient:
            raise TransientJobError(str(error)) from error
        report_failure(job, runtime, str(error))
    except SnapshotError as error:
        report_failure(job, runtime, f"I could not read the repository: {error}")
    finally:
        if github is not None:
            github.close()
    return JobOutcome.FAILED


def report_failure(job: Job, runtime: Runtime, reason: str) -> None:
    """Make a failure visible on the target; best effort, the job is over either way."""
    if job.kind in (JobKind.HELP, JobKind.LEDGER):
        return
    try:
        if job.kind is JobKind.REPAIR:
            failed = RepairResult(status=RepairStatus.FAILED, reason=reason)
            runtime.repair_store.save_result(job.job_id, failed)
            return
        github: GitHubPort = runtime.github_for(job)
        if job.kind is JobKind.FIX_ALERT:  # no thread: its number is the alert's
            report_alert(github, job, "failed", reason)
            return
        upsert_status(github, job, StatusState.FAILED, reason)
    except Exception as error:
        log.error("could not report failure job=%s: %s", job.job_id, error)
