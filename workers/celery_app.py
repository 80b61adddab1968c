"""The Celery app, built from settings: late acks, one message at a time, long visibility."""

from __future__ import annotations

from celery import Celery

from workers.config import Settings
from workers.intake.queues import task_routes


def create_celery(settings: Settings, broker_url: str) -> Celery:
    app = Celery("iquest", broker=broker_url)
    app.conf.update(
        task_default_queue=settings.queue_name,
        # The same routing as the edge's enqueue, for what Celery itself publishes.
        task_routes=task_routes(settings.queue_name),
        # A worker killed mid-job leaves the message unacked, so another worker redoes it.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Redis redelivers unacked messages after this long: it must exceed the longest job.
        # A live worker looks for them every 10 s; kombu's default throttle makes that every
        # 100 s, which a whole-worker death would add to the wait.
        broker_transport_options={
            "visibility_timeout": settings.job_timeout_seconds * 2,
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
            # Queues are read in the order the worker lists them, not round-robin: the short
            # "N ahead" announcements before the job tickets (see worker_queues).
            "queue_order_strategy": "priority",
        },
        task_time_limit=settings.job_timeout_seconds,
        # Never above the hard limit: Celery refuses such a pair when a task retries.
        task_soft_time_limit=max(settings.job_timeout_seconds - 60,
                                 settings.job_timeout_seconds * 3 // 4),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        # With SIGTERM mapped to Celery's cold shutdown (`iquest worker` does), running jobs
        # get this long to finish; then they are cancelled and Redis gets them back at once
        # (late acks) instead of after the visibility timeout.
        worker_soft_shutdown_timeout=settings.worker_shutdown_seconds,
    )
    return app

