"""The per-target lease against a real Redis: who may take it, how long a silent holder keeps it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.worker import wait_until
from workers.scheduling.target_lock import TargetLeased, TargetLocks

TARGET = "acme/calc#7"
REPO_ROOT = Path(__file__).resolve().parents[3]


def test_a_different_job_is_refused_with_the_holder_and_its_remaining_lease(redis_client) -> None:
    locks = TargetLocks(redis_client, lease_seconds=10)
    locks.acquire(TARGET, "job-a")
    with pytest.raises(TargetLeased) as busy:
        locks.acquire(TARGET, "job-b")
    assert busy.value.holder_job_id == "job-a"
    assert 0 < busy.value.remaining_seconds <= 10
    assert "job-a" in str(busy.value) and TARGET in str(busy.value)


def test_the_same_jobs_rerun_takes_its_lease_over_and_the_old_attempt_loses_it(
    redis_client,
) -> None:
    locks = TargetLocks(redis_client, lease_seconds=10)
    first = locks.acquire(TARGET, "job-a")  # an attempt whose process died holding it
    second = locks.acquire(TARGET, "job-a")
    assert second.token != first.token
    # The old attempt can neither renew nor release what is now the re-run's.
    assert not locks.renew(first)
    assert not locks.release(first)
    with pytest.raises(TargetLeased):
        locks.acquire(TARGET, "job-b")
    assert locks.renew(second)
    assert locks.release(second)
    locks.acquire(TARGET, "job-b")


def test_a_job_id_that_only_shares_a_prefix_does_not_take_over(redis_client) -> None:
    locks = TargetLocks(redis_client, lease_seconds=10)
    locks.acquire(TARGET, "job-abc")
    with pytest.raises(TargetLeased):
        locks.acquire(TARGET, "job-ab")


def test_holding_renews_the_lease_past_its_term_and_releases_it_at_the_end(redis_client) -> None:
    locks = TargetLocks(redis_client, lease_seconds=0.6)
    started = time.monotonic()
    with locks.hold(TARGET, "job-a") as lease:
        # Three full terms pass; without the heartbeat the lease would be gone after one.
        wait_until(lambda: time.monotonic() - started > 1.8, timeout=5, what="three terms")
        assert redis_client.get(lease.key) == lease.token.encode()
        assert not lease.lost.is_set()
        with pytest.raises(TargetLeased):
            locks.acquire(TARGET, "job-b")
    assert redis_client.get(lease.key) is None
    locks.acquire(TARGET, "job-b")


def test_a_holder_whose_lease_is_taken_over_notices(redis_client) -> None:
    locks = TargetLocks(redis_client, lease_seconds=0.3)
    with locks.hold(TARGET, "job-a") as first:
        rerun = locks.acquire(TARGET, "job-a")
        wait_until(first.lost.is_set, timeout=5, what="the heartbeat to notice")
    # Leaving the block did not release the re-run's lease.
    assert redis_client.get(rerun.key) == rerun.token.encode()


_HOLDER = textwrap.dedent(
    """
    import sys, time
    import redis
    from workers.scheduling.target_lock import TargetLocks

    locks = TargetLocks(redis.Redis.from_url(sys.argv[1]), lease_seconds=float(sys.argv[2]))
    with locks.hold(sys.argv[3], "job-dead"):
        print("held", flush=True)
        time.sleep(600)
    """
)


def test_a_killed_holder_keeps_the_target_for_at_most_one_lease(redis_server, redis_client) -> None:
    lease_seconds = 2.0
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, redis_server.url, str(lease_seconds), TARGET],
        stdout=subprocess.PIPE, cwd=REPO_ROOT, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        locks = TargetLocks(redis_client, lease_seconds=10)
        with pytest.raises(TargetLeased):
            locks.acquire(TARGET, "job-next")
        os.kill(holder.pid, signal.SIGKILL)  # as the OOM killer would: no finally runs
        holder.wait(timeout=10)
        killed = time.monotonic()

        def taken() -> bool:
            try:
                locks.acquire(TARGET, "job-next")
            except TargetLeased as busy:
                assert busy.remaining_seconds <= lease_seconds
                return False
            return True

        wait_until(taken, timeout=lease_seconds + 5, what="the dead holder's lease to end")
        assert time.monotonic() - killed <= lease_seconds + 1.0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_lease_must_last_a_positive_time(redis_client) -> None:
    with pytest.raises(ValueError, match="positive"):
        TargetLocks(redis_client, lease_seconds=0)
