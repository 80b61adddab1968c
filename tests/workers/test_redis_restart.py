"""Redis restarted (append-only, as the embedded server runs) with jobs queued and one running.

Real receiver, real Redis, a real Celery worker, the fake GitHub and the scripted model, which
holds the running job's answer across the restart. None of the jobs is lost, none runs twice
to completion: each issue ends with one draft PR, the model is asked once per job, and nothing
is left queued or unacknowledged that could run again.
"""

from __future__ import annotations

from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.redis_server import TestRedis
from tests.support.worker import wait_until
from tests.workers.crash_flow import (
    OPENED,
    assert_one_fix,
    open_autofix_issue,
    script_held_fix,
    seed_calc,
    status,
)

QUEUE = "iquest"
UNACKED = "unacked"  # kombu's Redis transport: messages delivered to a worker, not yet acked


def test_jobs_queued_and_running_survive_a_redis_restart_and_run_once(
    fake_github, model_server, own_redis: TestRedis, launch_worker
) -> None:
    seed_calc(fake_github)
    receiver = ReceiverThread(receiver_settings(), own_redis.url)
    receiver.start()
    worker = launch_worker(redis=own_redis, wait=False)
    running = script_held_fix(model_server, then=2)
    try:
        worker.wait_ready()
        first = open_autofix_issue(fake_github, receiver.url, "add() subtracts (running)")
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the first job's model call")
        queued = [open_autofix_issue(fake_github, receiver.url, f"add() subtracts ({n})")
                  for n in ("queued 1", "queued 2")]
        client = own_redis.client()
        assert client.llen(QUEUE) == 2 and client.hlen(UNACKED) == 1
        client.close()

        own_redis.stop()
        own_redis.start()
        client = own_redis.client()
        assert client.llen(QUEUE) == 2 and client.hlen(UNACKED) == 1  # kept by the AOF
        running.set()

        for number in [first, *queued]:
            wait_until(lambda n=number: OPENED in status(fake_github, n), timeout=90,
                       what=f"issue #{number}'s draft PR")
        wait_until(lambda: client.llen(QUEUE) == 0 and client.hlen(UNACKED) == 0, timeout=30,
                   what="every message acknowledged, none left to run again")
        client.close()
    finally:
        running.set()
        receiver.stop()
    for number in [first, *queued]:
        assert_one_fix(fake_github, number)
    assert len(model_server.chat_requests()) == 3
