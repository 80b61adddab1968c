"""`iquest beat` sends the recovery check on schedule and a real worker runs it, once per event."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from tests.support.worker import wait_until, worker_env
from workers.config import Settings
from workers.operations.periodic import MONTHLY_SUMMARY_TASK, RECOVER_DELIVERIES_TASK, beat_schedule

REDELIVER = "apps/redeliver-webhook-delivery"
LIST = "apps/list-webhook-deliveries"


def test_schedule_sends_the_recovery_task_to_the_apps_queue() -> None:
    settings = Settings(queue_name="q", redelivery_interval_seconds=300, _env_file=None)
    entry = beat_schedule(settings)["recover-missed-deliveries"]
    assert entry["task"] == RECOVER_DELIVERIES_TASK
    assert entry["schedule"] == 300.0
    assert entry["options"] == {"queue": "q", "expires": 300.0}


def test_schedule_checks_the_monthly_summary_daily() -> None:
    settings = Settings(queue_name="q", _env_file=None)
    entry = beat_schedule(settings)["monthly-summary"]
    assert entry["task"] == MONTHLY_SUMMARY_TASK
    assert entry["schedule"] == 86400.0
    assert entry["options"] == {"queue": "q", "expires": 86400.0}


def test_beat_and_worker_recover_a_lost_delivery_once(
    fake_github, worker, redis_server, redis_client, tmp_path
) -> None:
    lost = fake_github.add_delivery(status_code=503, age=timedelta(minutes=20))
    fake_github.add_delivery(status_code=202, age=timedelta(minutes=10))
    env = worker_env(fake_github, redis_server.url, tmp_path / "beat-data",
                     IQUEST_REDELIVERY_INTERVAL_SECONDS="2")
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log:
        beat = subprocess.Popen([sys.executable, "-m", "workers.cli", "beat"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: fake_github.call_count(REDELIVER) == 1, timeout=60,
                   what="the worker to ask for the redelivery")
        # Three more checks come and go; none asks again.
        wait_until(lambda: fake_github.call_count(LIST) >= 4, timeout=60,
                   what="further scheduled checks")
    finally:
        beat.terminate()
        beat.wait(timeout=15)
    assert [c.path for c in fake_github.calls(REDELIVER)] == [
        f"/app/hook/deliveries/{lost.id}/attempts"
    ]
    assert "delivery recovery: scanned=" in worker.log()
    assert beat.returncode == 0, log_path.read_text()
