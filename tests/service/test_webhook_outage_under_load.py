"""The receiver under steady load while Redis goes away and comes back: 2xx means queued once.

A thread keeps posting distinct trigger deliveries to the real receiver while the test stops
its Redis (append-only, as the embedded one runs) and starts it again on the same port. Every
delivery answered 2xx must be in the queue exactly once; the rest are 503. A 503 is not a
promise of "nothing queued" (Redis can die between running the script and answering), so
GitHub's redelivery of each 503 must then be queued or recognised as a duplicate — never both.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter

from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.redis_server import TestRedis
from tests.support.webhooks import post_webhook, variant
from tests.support.worker import wait_until
from workers.intake.jobs import job_id_for_delivery

LABELED = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 7}})
QUEUE = "iquest"
PHASE = 25  # answers to see in each phase: before, during and after the outage


class Load:
    """Posts one new trigger delivery after another until stopped; keeps every answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.done.is_set():
            delivery = str(uuid.uuid4())
            status = post_webhook(self.url, "issues", LABELED, delivery).status_code
            with self.lock:
                self.answers.append((delivery, status))

    def count(self, status: int, since: int = 0) -> int:
        with self.lock:
            return sum(1 for _, s in self.answers[since:] if s == status)

    def mark(self) -> int:
        with self.lock:
            return len(self.answers)


def _queued_job_ids(client) -> Counter[str]:
    return Counter(json.loads(m)["headers"]["id"] for m in client.lrange(QUEUE, 0, -1))


def test_every_2xx_during_a_redis_outage_is_queued_exactly_once_and_the_rest_are_503(
    own_redis: TestRedis,
) -> None:
    receiver = ReceiverThread(receiver_settings(), own_redis.url)
    receiver.start()
    load = Load(receiver.url)
    try:
        load.thread.start()
        wait_until(lambda: load.count(202) >= PHASE, timeout=60, what="deliveries before")
        own_redis.stop()
        outage = load.mark()
        wait_until(lambda: load.count(503, outage) >= PHASE, timeout=60, what="503s in the outage")
        own_redis.start()
        back = load.mark()
        wait_until(lambda: load.count(202, back) >= PHASE, timeout=60, what="deliveries after")
    finally:
        load.done.set()
        load.thread.join(15)
    answers = dict(load.answers)
    statuses = Counter(answers.values())
    assert set(statuses) <= {202, 503}, statuses
    client = own_redis.client()
    queued = _queued_job_ids(client)
    accepted = [d for d, s in answers.items() if s == 202]
    refused = [d for d, s in answers.items() if s == 503]
    assert all(queued[job_id_for_delivery(d)] == 1 for d in accepted)
    assert all(queued[job_id_for_delivery(d)] <= 1 for d in refused)
    assert sum(queued.values()) <= len(answers)

    # GitHub redelivers the failed ones: each is now queued, or known as already queued.
    try:
        for delivery in refused:
            again = post_webhook(receiver.url, "issues", LABELED, delivery)
            assert again.status_code in (200, 202), again.text
    finally:
        receiver.stop()
    queued = _queued_job_ids(client)
    assert sorted(queued.values()) == [1] * len(answers)
    print(f"{statuses[202]} deliveries answered 202, {statuses[503]} answered 503 "
          f"during the outage, all {len(answers)} queued exactly once after redelivery")
