"""Periodic tasks: the beat schedule `iquest beat` runs and the task it sends (delivery recovery)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery import Celery

from workers.config import Settings
from workers.operations.redelivery import recover_deliveries

if TYPE_CHECKING:
    from workers.runtime import Runtime

log = logging.getLogger("iquest.periodic")

# Explicit and dotted, like the job tasks, so moving code never strands a queued message.
RECOVER_DELIVERIES_TASK = "iquest.recover_deliveries"


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    interval = settings.redelivery_interval_seconds
    return {
        "recover-missed-deliveries": {
            "task": RECOVER_DELIVERIES_TASK,
            "schedule": float(interval),
            # A check still queued when the next one is due is pointless: drop it.
            "options": {"queue": settings.queue_name, "expires": float(interval)},
        }
    }


def register_periodic_tasks(app: Celery, runtime: Callable[[], Runtime]) -> None:
    @app.task(name=RECOVER_DELIVERIES_TASK, ignore_result=True)
    def recover() -> None:
        current = runtime()
        report = recover_deliveries(
            current.deliveries,
            current.redis,
            since=timedelta(hours=current.settings.redelivery_window_hours),
        )
        current.metrics.count_redelivered(len(report.asked))
        current.metrics.count_redelivery_failed(len(report.errors))
        log.info(
            "delivery recovery: scanned=%d asked=%d already_asked=%d refused=%d",
            report.scanned, len(report.asked), len(report.already_asked), len(report.errors),
        )
