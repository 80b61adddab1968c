"""The model-call semaphore against a real Redis: the cap, wake-ups, leases, bounded waits."""

from __future__ import annotations

import threading
import time

import pytest

from workers.model.slots import ModelSlots, SlotPolicy, SlotWaitTimeout


def _slots(redis_client, limit: int = 1, lease: float = 30.0, wait: float = 10.0) -> ModelSlots:
    return ModelSlots(redis_client, SlotPolicy(limit=limit, lease_seconds=lease, max_wait_seconds=wait))


def _evals(redis_client) -> int:
    stats = redis_client.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def test_never_more_holders_than_the_limit(redis_client) -> None:
    slots = _slots(redis_client, limit=2)
    inside, most, lock = [0], [0], threading.Lock()

    def call() -> None:
        with slots.held():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)  # the "model call": long enough for others to queue up
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert most[0] == 2
    assert slots.holders() == 0


def test_a_release_wakes_a_waiter_long_before_the_lease_ends(redis_client) -> None:
    slots = _slots(redis_client, limit=1, lease=30.0)
    first = slots.acquire()
    told: list[int] = []
    got: list[float] = []
    waiter = threading.Thread(target=lambda: (slots.acquire(told.append), got.append(time.monotonic())))
    waiter.start()
    deadline = time.monotonic() + 10
    while not told and time.monotonic() < deadline:
        time.sleep(0.01)
    assert told == [0]  # waiting, and nobody else is ahead of it
    before = _evals(redis_client)
    time.sleep(0.5)
    # Blocked on the wake-up list, not spinning: no acquire attempts while it waits.
    assert _evals(redis_client) - before == 0
    released = time.monotonic()
    slots.release(first)
    waiter.join(timeout=10)
    assert got and got[0] - released < 2.0


def test_a_holder_that_stops_renewing_loses_its_slot_within_the_lease(redis_client) -> None:
    slots = _slots(redis_client, limit=1, lease=0.5)
    slots.acquire()  # never renewed, never released: a killed worker
    started = time.monotonic()
    slots.acquire()
    assert time.monotonic() - started < 0.5 + 1.0


def test_renewal_keeps_a_long_call_holding_its_slot(redis_client) -> None:
    slots = _slots(redis_client, limit=1, lease=0.6, wait=1.5)
    with slots.held(), pytest.raises(SlotWaitTimeout):
        _slots(redis_client, limit=1, lease=0.6, wait=1.5).acquire()
    assert slots.holders() == 0


def test_a_wait_that_times_out_leaves_no_waiter_behind(redis_client) -> None:
    slots = _slots(redis_client, limit=1, wait=0.3)
    slots.acquire()
    with pytest.raises(SlotWaitTimeout, match="within 0 s|within"):
        slots.acquire()
    assert redis_client.zcard("iquest:model:waiters") == 0


def test_a_waiter_is_told_how_many_others_wait(redis_client) -> None:
    holder = _slots(redis_client, limit=1)
    first = holder.acquire()
    seen: list[int] = []
    threads = []
    for expected_waiters in (1, 2):
        # Waits long enough that neither waiter gives up before the holder releases.
        thread = threading.Thread(target=_try, args=(_slots(redis_client, limit=1, wait=60.0), seen))
        thread.start()
        threads.append(thread)
        # Told once registered: wait for the telling, not only the registration, so the next
        # waiter starts behind this one.
        deadline = time.monotonic() + 30
        while len(seen) < expected_waiters:
            assert time.monotonic() < deadline, "the waiter was never told"
            time.sleep(0.01)
    assert seen == [0, 1]
    assert redis_client.zcard("iquest:model:waiters") == 2
    holder.release(first)
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 2


def _try(slots: ModelSlots, seen: list[int]) -> None:
    try:
        with slots.held(seen.append):
            pass
    except SlotWaitTimeout:
        pass


def test_a_limit_below_one_is_refused(redis_client) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        _slots(redis_client, limit=0)
