"""Which Celery queue a job goes to: the one place that decides, for the edge and for Celery.

Jobs that never touch GitHub (`/repair`) have their own queue, `<queue>.local`, so a
worker without App credentials can serve them without ever taking a GitHub job it cannot
run. With kombu's Redis transport a queue is a Redis list of the same name.
"""

from __future__ import annotations

from workers.intake.jobs import GITHUBLESS_KINDS, TASK_NAMES, JobKind

LOCAL_SUFFIX = ".local"
NOTICES_SUFFIX = ".notices"
_KIND_BY_TASK = {task: kind for kind, task in TASK_NAMES.items()}


def local_queue(base: str) -> str:
    return base + LOCAL_SUFFIX


def queue_for(kind: JobKind, base: str) -> str:
    """The queue of a job kind; `base` is IQUEST_QUEUE_NAME."""
    return local_queue(base) if kind in GITHUBLESS_KINDS else base


def github_queues(base: str) -> list[str]:
    """Every queue holding jobs that need the App's credentials."""
    return sorted({queue_for(kind, base) for kind in JobKind if kind not in GITHUBLESS_KINDS})


def local_queues(base: str) -> list[str]:
    """Every queue holding jobs that need only the model."""
    return sorted({queue_for(kind, base) for kind in GITHUBLESS_KINDS})


def notices_queue(queue: str) -> str:
    """Where "N ahead of it" announcements for `queue`'s jobs wait (see workers.scheduling.lines)."""
    return queue + NOTICES_SUFFIX


def queues_to_consume(base: str, has_app_credentials: bool) -> list[str]:
    """The queues holding jobs (tickets) this worker can run."""
    if has_app_credentials:
        return [*github_queues(base), *local_queues(base)]
    return local_queues(base)


def worker_queues(base: str, has_app_credentials: bool) -> list[str]:
    """Everything a worker reads, most urgent first: Celery's Redis transport (with
    `queue_order_strategy: priority`) reads them in this order. Announcements post to GitHub,
    so only a worker with credentials reads them; they are no work to scale on."""
    notices = [notices_queue(q) for q in github_queues(base)] if has_app_credentials else []
    return [*notices, *queues_to_consume(base, has_app_credentials)]


def task_routes(base: str) -> dict[str, dict[str, str]]:
    """Celery's `task_routes`: the same decision for messages Celery publishes (retries)."""
    return {
        task: {"queue": queue_for(kind, base), "routing_key": queue_for(kind, base)}
        for task, kind in _KIND_BY_TASK.items()
    }
