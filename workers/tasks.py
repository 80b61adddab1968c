"""Celery tasks, thin: rebuild the typed job from its ids and run it; retry what is transient."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Celery, Task

from workers.jobrunner import TransientJobError, report_failure, run_job
from workers.jobs import TASK_NAMES, Job
from workers.runtime import Runtime

log = logging.getLogger("iquest.tasks")


def register_tasks(app: Celery, runtime: Callable[[], Runtime]) -> None:
    """Register one task per job kind; `runtime` builds the process's collaborators lazily."""
    for task_name in TASK_NAMES.values():
        _register(app, task_name, runtime)


def _register(app: Celery, task_name: str, runtime: Callable[[], Runtime]) -> None:
    @app.task(name=task_name, bind=True, acks_late=True, reject_on_worker_lost=True)
    def run(self: Task, job_data: dict) -> None:
        job = Job.model_validate(job_data)
        current = runtime()
        try:
            run_job(job, current)
        except TransientJobError as error:
            retries = self.request.retries
            max_retries = current.settings.job_max_retries
            if retries >= max_retries:
                log.error("giving up job=%s after %d retries: %s", job.job_id, retries, error)
                report_failure(job, current, f"I kept hitting a temporary problem: {error}")
                return
            countdown = min(600, 15 * 2**retries)
            log.warning("retrying job=%s in %ss: %s", job.job_id, countdown, error)
            raise self.retry(exc=error, countdown=countdown, max_retries=max_retries) from error
        except Exception as error:
            # A bug of ours: say so on GitHub rather than leave a status that never moves.
            log.exception("job crashed job=%s delivery=%s", job.job_id, job.delivery_id)
            report_failure(job, current, f"an internal error stopped me ({type(error).__name__}).")
            raise
