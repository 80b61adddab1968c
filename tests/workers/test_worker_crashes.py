"""Whole worker processes dying or told to stop mid-job: the job is finished once, by someone.

Real receiver, real Redis, two real Celery worker processes (solo pool: the job runs in the
worker process itself), the fake GitHub and the scripted model holding its answer while the
test kills or stops the worker waiting for it.

A worker that dies whole leaves its message unacked in Redis; a live worker puts it back on
the queue once the visibility timeout (twice the job time limit) has passed, within one
restore sweep. The job time limit is cut to a few seconds here so that wait stays short.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.worker import WorkerProcess, wait_until
from tests.workers.crash_flow import (
    OPENED,
    assert_one_fix,
    bot_comments,
    connected_to,
    open_autofix_issue,
    port_of,
    script_held_fix,
    seed_calc,
    status,
)

JOB_TIMEOUT_SECONDS = 8  # visibility timeout 16 s
RESTORE_SWEEP_SECONDS = 10  # workers/celery_app.py
# Celery's soft shutdown sleeps this long whenever a job was running, even one that is done.
SHUTDOWN_SECONDS = 10


@pytest.fixture
def two_workers(launch_worker) -> list[WorkerProcess]:
    workers = [launch_worker(name=f"worker-{name}", wait=False,
                             IQUEST_JOB_TIMEOUT_SECONDS=str(JOB_TIMEOUT_SECONDS))
               for name in ("a", "b")]
    for worker in workers:
        worker.wait_ready()
    return workers

def _holder(workers: list[WorkerProcess], model_url: str) -> WorkerProcess:
    port = port_of(model_url)
    for worker in workers:
        try:
            connected_to(worker, port)
            return worker
        except AssertionError:
            continue
    raise AssertionError("no worker is waiting for the model")


def test_a_worker_killed_mid_model_call_has_its_job_finished_by_the_other_worker(
    fake_github, model_server, receiver, two_workers
) -> None:
    seed_calc(fake_github)
    dead_call = script_held_fix(model_server, then=1)
    try:
        number = open_autofix_issue(fake_github, receiver.url)
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the first model call")
        victim = _holder(two_workers, model_server.base_url)
        victim.process.send_signal(signal.SIGKILL)  # the whole worker, as a lost machine
        victim.process.wait(10)
        killed = time.monotonic()
        [survivor] = [w for w in two_workers if w is not victim]
        budget = 2 * JOB_TIMEOUT_SECONDS + 2 * RESTORE_SWEEP_SECONDS + 30
        wait_until(lambda: OPENED in status(fake_github, number), timeout=budget,
                   what="the other worker to finish the job")
        redelivered_after = time.monotonic() - killed
    finally:
        dead_call.set()
    assert_one_fix(fake_github, number)
    assert len(model_server.chat_requests()) == 2
    assert "Opened draft pull request" in status(fake_github, number)
    wait_until(lambda: "succeeded" in survivor.log(), timeout=20, what="the survivor's ack")
    print(f"job finished by the other worker {redelivered_after:.1f}s after the kill")


@pytest.fixture
def prefork_worker(launch_worker) -> WorkerProcess:
    """The production pool: on SIGTERM the parent waits while the pool process works on."""
    return launch_worker(pool="prefork", IQUEST_WORKER_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS))

def test_a_worker_told_to_stop_mid_job_finishes_it_within_its_shutdown_window(
    fake_github, model_server, receiver, prefork_worker
) -> None:
    seed_calc(fake_github)
    answer = script_held_fix(model_server)
    try:
        number = open_autofix_issue(fake_github, receiver.url)
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the model call")
        stopping = prefork_worker
        # As `docker stop` sends it; the job has IQUEST_WORKER_SHUTDOWN_SECONDS to finish (past
        # that it goes back to the queue: tests/workers/cli/test_worker_shutdown.py).
        stopping.process.send_signal(signal.SIGTERM)
        wait_until(lambda: "shutdown" in stopping.log().lower(), timeout=20,
                   what="the worker to begin its shutdown")
        assert stopping.process.poll() is None  # still finishing the job
    finally:
        answer.set()
    wait_until(lambda: OPENED in status(fake_github, number), timeout=60,
               what="the stopping worker to finish the job")
    assert stopping.process.wait(SHUTDOWN_SECONDS + 30) == 0
    assert_one_fix(fake_github, number)
    assert len(model_server.chat_requests()) == 1  # finished once, not re-run elsewhere


def test_a_solo_worker_stopped_mid_job_hands_it_back_without_reporting_a_crash(
    fake_github, model_server, receiver, launch_worker, redis_client
) -> None:
    """In the solo pool the job runs in the worker process itself, and SIGTERM's cold
    shutdown surfaces inside it as Celery's NotImplementedError (the solo pool cannot
    terminate a job): not a crash to report, and not a failed task whose message is acked."""
    seed_calc(fake_github)
    stalled = script_held_fix(model_server, then=1)
    stopped = launch_worker(name="stopped")
    try:
        number = open_autofix_issue(fake_github, receiver.url)
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the model call")
        stopped.process.send_signal(signal.SIGTERM)  # as `docker stop` sends it
        stopped.process.wait(20)
    finally:
        stalled.set()
    said = [c.body for c in bot_comments(fake_github, number)]
    assert said and not any("internal error" in body or "could not finish" in body
                            for body in said), said
    assert "interrupted by the worker's shutdown (NotImplementedError)" in stopped.log()
    assert redis_client.llen("iquest") == 1, stopped.log()  # its ticket, handed back

    launch_worker(name="next")
    wait_until(lambda: OPENED in status(fake_github, number), timeout=60,
               what="the next worker to finish the job")
    assert_one_fix(fake_github, number)
    assert len(model_server.chat_requests()) == 2
