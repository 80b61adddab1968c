"""Missed-delivery recovery against the fake GitHub's delivery log and a real Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.github import FakeGitHub
from workers.github.deliveries import AppDeliveries
from workers.github.retry import CappedRetry
from workers.operations.redelivery import LEDGER_PREFIX, parse_duration, recover_deliveries

REDELIVER = "apps/redeliver-webhook-delivery"
LIST = "apps/list-webhook-deliveries"
WINDOW = timedelta(hours=72)


def _log(fake: FakeGitHub) -> AppDeliveries:
    return AppDeliveries(fake.app_id, fake.private_key, fake.url, CappedRetry(0, 0.01, 1))


def _asked_ids(fake: FakeGitHub) -> list[int]:
    return [int(c.path.split("/")[-2]) for c in fake.calls(REDELIVER)]


def test_only_events_whose_every_attempt_failed_are_redelivered_once(
    fake_github: FakeGitHub, redis_client
) -> None:
    lost = fake_github.add_delivery(status_code=503, age=timedelta(hours=3))
    refused = fake_github.add_delivery(status_code=0, age=timedelta(hours=2))  # no connection
    fine = fake_github.add_delivery(status_code=202, age=timedelta(hours=2))
    # Failed first, then delivered by a redelivery someone asked for: the receiver has it.
    healed = fake_github.add_delivery(status_code=502, age=timedelta(hours=1))
    fake_github.add_delivery(status_code=202, guid=healed.guid, redelivery=True,
                             age=timedelta(minutes=50))
    # Failed, and a redelivery was asked for that failed too: asked once already, leave it.
    asked_before = fake_github.add_delivery(status_code=500, age=timedelta(hours=1))
    fake_github.add_delivery(status_code=500, guid=asked_before.guid, redelivery=True,
                             age=timedelta(minutes=40))
    # Older than the window.
    fake_github.add_delivery(status_code=503, age=timedelta(hours=80))

    report = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)

    assert [d.id for d in report.asked] == [lost.id, refused.id]
    assert sorted(_asked_ids(fake_github)) == sorted([lost.id, refused.id])
    assert fine.id not in _asked_ids(fake_github)
    assert report.errors == [] and report.already_asked == []
    assert redis_client.get(LEDGER_PREFIX + lost.guid) == str(lost.id).encode()
    assert 0 < redis_client.ttl(LEDGER_PREFIX + lost.guid) <= WINDOW.total_seconds() + 86400


def test_every_page_is_read_and_a_second_run_asks_for_nothing(
    fake_github: FakeGitHub, redis_client
) -> None:
    # 250 attempts: three pages of the 100 the adapter asks for, the lost ones spread out.
    lost = []
    for n in range(250):
        delivery = fake_github.add_delivery(
            status_code=503 if n % 50 == 0 else 202, age=timedelta(minutes=300 - n)
        )
        if n % 50 == 0:
            lost.append(delivery.id)

    first = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)
    assert first.scanned == 250
    assert [d.id for d in first.asked] == lost
    assert fake_github.call_count(LIST) == 3
    cursors = [c.query.get("cursor") for c in fake_github.calls(LIST)]
    assert cursors[0] is None and all(cursors[1:])

    # The redeliveries were delivered (the fake's receiver answers 200 by default), and the
    # ledger remembers them: nothing is asked twice.
    second = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)
    assert second.asked == [] and second.errors == []
    assert sorted(_asked_ids(fake_github)) == sorted(lost)


def test_the_ledger_keeps_two_schedulers_from_doubling_up(
    fake_github: FakeGitHub, redis_client
) -> None:
    # The redelivery fails again, so the log alone would not say it was asked for; a second
    # scheduler running before GitHub lists the new attempt sees only the ledger.
    fake_github.redelivery_status_code = 503
    lost = fake_github.add_delivery(status_code=503, age=timedelta(hours=1))
    redis_client.set(LEDGER_PREFIX + lost.guid, "asked by the other scheduler")

    report = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)

    assert [d.id for d in report.already_asked] == [lost.id]
    assert report.asked == [] and fake_github.call_count(REDELIVER) == 0


def test_a_refused_redelivery_is_reported_and_left_for_the_next_run(
    fake_github: FakeGitHub, redis_client
) -> None:
    lost = fake_github.add_delivery(status_code=503, age=timedelta(hours=1))
    fake_github.validation_failure(REDELIVER)

    report = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)

    assert [d.id for d, _ in report.errors] == [lost.id]
    assert "422" in report.errors[0][1]
    assert redis_client.exists(LEDGER_PREFIX + lost.guid) == 0
    again = recover_deliveries(_log(fake_github), redis_client, since=WINDOW)
    assert [d.id for d in again.asked] == [lost.id]


def test_dry_run_asks_nothing_and_records_nothing(fake_github: FakeGitHub, redis_client) -> None:
    lost = fake_github.add_delivery(status_code=503, age=timedelta(hours=1))

    report = recover_deliveries(_log(fake_github), redis_client, since=WINDOW, dry_run=True)

    assert [d.id for d in report.asked] == [lost.id]
    assert fake_github.call_count(REDELIVER) == 0
    assert redis_client.exists(LEDGER_PREFIX + lost.guid) == 0


@pytest.mark.parametrize(
    ("text", "seconds"), [("72h", 259200), ("30m", 1800), ("3d", 259200), ("90s", 90)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["72", "h", "-1h", "0h", "3w", ""])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="like 72h"):
        parse_duration(text)
