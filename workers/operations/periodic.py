"""Periodic tasks: the beat schedule `iquest beat` runs and the task it sends (delivery recovery);
the monthly summary's entry too (its task is registered in workers/tasks.py)."""

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
# Registered with the job tasks (workers/tasks.py: it combines the ledger and GitHub).
MONTHLY_SUMMARY_TASK = "iquest.monthly_summary"
# Daily: each repository's summary of last month goes out at the first check of the month that
# finds it unposted, so a scheduler down on the 1st still posts it later.
MONTHLY_SUMMARY_INTERVAL_SECONDS = 24 * 3600.0


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    interval = settings.redelivery_interval_seconds
    return {
        "recover-missed-deliveries": {
            "task": RECOVER_DELIVERIES_TASK,
            "schedule": float(interval),
            # A check still queued when the next one is due is pointless: drop it.
            "options": {"queue": settings.queue_name, "expires": float(interval)},
        },
        "monthly-summary": {
            "task": MONTHLY_SUMMARY_TASK,
            "schedule": MONTHLY_SUMMARY_INTERVAL_SECONDS,
            "options": {"queue": settings.queue_name, "expires": MONTHLY_SUMMARY_INTERVAL_SECONDS},
        },
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
