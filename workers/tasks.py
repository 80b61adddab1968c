"""Celery tasks, thin: take the next job in fair order (or rebuild it from its ids) and run it;
retry what is transient."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from celery import Celery, Task
from celery.exceptions import Reject, Retry
from celery.worker import state as worker_state

from workers.config import Settings
from workers.handlers.monthly_summary import post_monthly_summaries
from workers.handlers.queue_position import announce_position
from workers.intake.jobs import TASK_NAMES, Job
from workers.jobrunner import JobOutcome, TargetBusy, TransientJobError, report_failure, run_job
from workers.operations.logcontext import job_log_context
from workers.operations.metrics import JobTracking
from workers.operations.periodic import MONTHLY_SUMMARY_TASK
from workers.runtime import Runtime
from workers.scheduling.lines import ANNOUNCE_TASK, NEXT_JOB_TASK

log = logging.getLogger("iquest.tasks")


def register_tasks(app: Celery, runtime: Callable[[], Runtime]) -> None:
    """Register the tasks; `runtime` builds the process's collaborators lazily."""
    # Messages that carry their job, as queued before the waiting lines existed.
    for task_name in TASK_NAMES.values():
        _register(app, task_name, runtime)
    _register_next_job(app, runtime)

    @app.task(name=ANNOUNCE_TASK, ignore_result=True)
    def announce(job_id: str, queue: str) -> None:
        announce_position(job_id, queue, runtime())

    # Sent daily by `iquest beat`; posts each opted-in repository's summary once a month.
    @app.task(name=MONTHLY_SUMMARY_TASK, ignore_result=True)
    def monthly_summary() -> None:
        current = runtime()
        outcomes = post_monthly_summaries(current.ledger, current.github_for_repository,
                                          datetime.now(UTC))
        log.info("monthly summary: %d repositories checked, %d posted", len(outcomes),
                 sum(o.result == "posted" for o in outcomes))


# A job waiting for its target retries a little after the holder's lease could have ended
# (clock and queue jitter), so one wait usually suffices when the holder has died.
_BUSY_WAIT_MARGIN_SECONDS = 0.25


def busy_wait_seconds(lease_remaining: float, waited: float, settings: Settings) -> float | None:
    """How long a job that found its target leased waits before trying again; None: give up.

    A holder cannot outlive its job time limit plus one lease, so a job that has waited
    longer than that is stuck behind something wrong and says so rather than wait forever.
    """
    wait = max(lease_remaining, 0.0) + _BUSY_WAIT_MARGIN_SECONDS
    if waited + wait > settings.job_timeout_seconds + settings.target_lease_seconds:
        return None
    return wait


def transient_retry_seconds(retries: int) -> int:
    """Backoff between retries after a transient failure: 15 s, 30 s, 60 s, … capped at 10 min."""
    return min(600, 15 * 2**retries)


def _register(app: Celery, task_name: str, runtime: Callable[[], Runtime]) -> None:
    # max_retries=None: waiting for a busy target has its own budget (time, below); transient
    # failures pass their own limit to retry().
    @app.task(name=task_name, bind=True, acks_late=True, reject_on_worker_lost=True,
              max_retries=None)
    def run(self: Task, job_data: dict, busy_waits: int = 0, busy_seconds: float = 0.0) -> None:
        job = Job.model_validate(job_data)
        current = runtime()
        # Every line logged below, by any module, carries the job's ids.
        with job_log_context(job), current.metrics.track_job(job.kind.value) as tracking:
            _run(self, job, current, tracking, busy_waits, busy_seconds)


def _register_next_job(app: Celery, runtime: Callable[[], Runtime]) -> None:
    @app.task(name=NEXT_JOB_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
              max_retries=None)
    def next_job(self: Task, issued_by: str, busy_waits: int = 0, busy_seconds: float = 0.0) -> None:
        # The ticket was queued by job `issued_by`, but runs whichever job is next in turn.
        current = runtime()
        queue = (self.request.delivery_info or {}).get("routing_key") or current.settings.queue_name
        lines = current.lines(queue)
        claimed = lines.claim(self.request.id)
        if claimed is None:
            log.info("ticket=%s found no job waiting (cancelled ones leave their line)", self.request.id)
            return
        if claimed.job_json is None:
            log.info("ticket=%s job=%s was cancelled", self.request.id, claimed.job_id)
            lines.forget_ticket(self.request.id)
            return
        job = Job.model_validate_json(claimed.job_json)
        try:
            with job_log_context(job), current.metrics.track_job(job.kind.value) as tracking:
                _run(self, job, current, tracking, busy_waits, busy_seconds, queue=queue)
        except (Retry, Reject):
            raise  # the same ticket comes back to the same job (a retry, or a shutdown)
        except Exception:
            lines.finish(self.request.id, job)  # a crash, already reported on GitHub
            raise
        # Not on a shutdown or a lost worker (BaseException): the ticket is handed back and
        # must find its job again.
        lines.finish(self.request.id, job)


def cold_shutdown_under_way() -> bool:
    """Celery's cold shutdown (SIGTERM under `iquest worker`) has begun in this process.

    In the solo pool a job runs in the worker's own process, and the cold shutdown's signal
    handler cancels it by calling the pool's `terminate_job`, which the solo pool does not
    implement: the handler's NotImplementedError surfaces inside the job, wherever it was, as
    if the job had raised it. Celery sets this flag as the exception leaves its handler.
    """
    return worker_state.should_terminate not in (None, False)


def _interrupted(job: Job, tracking: JobTracking, error: BaseException) -> None:
    tracking.outcome = JobOutcome.INTERRUPTED
    log.warning("job=%s delivery=%s interrupted by the worker's shutdown (%s); its message "
                "goes back to the queue and a worker runs it again",
                job.job_id, job.delivery_id, type(error).__name__)


def _run(
    task: Task, job: Job, current: Runtime, tracking: JobTracking, busy_waits: int,
    busy_seconds: float, queue: str | None = None,
) -> None:
    """Run the job and decide its fate; `tracking.outcome` says how this run ended.

    `queue`: where a retry goes back to (a ticket's job is on that queue's lines; the task
    routes know only the job kinds' own tasks)."""
    where = {"queue": queue} if queue else {}
    try:
        tracking.outcome = run_job(job, current)
    except TargetBusy as busy:
        # The job's message stays positional ([job_data]); the waits so far ride in kwargs.
        wait = busy_wait_seconds(busy.retry_after_seconds, busy_seconds, current.settings)
        if wait is None:
            tracking.outcome = JobOutcome.GAVE_UP
            log.error("giving up job=%s after waiting %.0fs: %s", job.job_id, busy_seconds, busy)
            report_failure(job, current, f"I waited too long for my turn: {busy}")
            return
        tracking.outcome = JobOutcome.WAITING
        log.info("job=%s waits %.2fs for its turn: %s", job.job_id, wait, busy)
        raise task.retry(
            kwargs={"busy_waits": busy_waits + 1, "busy_seconds": busy_seconds + wait},
            exc=busy, countdown=wait, max_retries=None, **where,
        ) from busy
    except TransientJobError as error:
        # Waits for a busy target are not failures: they do not spend the retry budget.
        retries = task.request.retries - busy_waits
        max_retries = current.settings.job_max_retries
        if retries >= max_retries:
            tracking.outcome = JobOutcome.GAVE_UP
            log.error("giving up job=%s after %d retries: %s", job.job_id, retries, error)
            report_failure(job, current, f"I kept hitting a temporary problem: {error}")
            return
        tracking.outcome = JobOutcome.RETRYING
        countdown = transient_retry_seconds(retries)
        log.warning("retrying job=%s in %ss: %s", job.job_id, countdown, error)
        raise task.retry(
            kwargs={"busy_waits": busy_waits, "busy_seconds": busy_seconds},
            exc=error, countdown=countdown, max_retries=max_retries + busy_waits, **where,
        ) from error
    except Exception as error:
        if cold_shutdown_under_way():
            # Not a failure, and nothing to say on GitHub: the job runs again. Re-raising would
            # fail the task, and a failed task's message is acknowledged even with late acks,
            # losing the job; Reject hands the message back instead.
            _interrupted(job, tracking, error)
            raise Reject(f"worker shutdown: {type(error).__name__}", requeue=True) from error
        # A bug of ours: say so on GitHub rather than leave a status that never moves.
        tracking.outcome = JobOutcome.CRASHED
        log.exception("job crashed job=%s delivery=%s", job.job_id, job.delivery_id)
        report_failure(job, current, f"an internal error stopped me ({type(error).__name__}).")
        raise
    except (SystemExit, KeyboardInterrupt) as stop:
        # A prefork pool process told to stop by the cold shutdown: billiard's signal handler
        # raises SystemExit in the job, and Celery leaves the message unacknowledged.
        _interrupted(job, tracking, stop)
        raise
