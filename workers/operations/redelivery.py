"""Missed-delivery recovery: find the App's deliveries whose every attempt failed, redeliver each once.

GitHub never redelivers on its own. A delivery the receiver could not take (down for a
deploy, 503 while Redis restarted) stays failed in the App's delivery log until someone asks
for it again. Asking is safe because the receiver dedupes on the delivery GUID; asking twice
is wasteful, so every request is first recorded in Redis with SET NX, which also keeps two
schedulers (or a scheduler and an operator's `iquest redeliver`) from doubling up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger("iquest.redelivery")

LEDGER_PREFIX = "iquest:redelivery:"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Delivery:
    """One attempt in the App webhook's delivery log."""

    id: int
    guid: str
    delivered_at: datetime
    redelivery: bool
    status_code: int
    event: str
    action: str | None = None

    @property
    def succeeded(self) -> bool:
        # GitHub's own classification (the list endpoint's `status=success`): 200-399.
        return 200 <= self.status_code < 400

    def describe(self) -> str:
        kind = f"{self.event}.{self.action}" if self.action else self.event
        when = self.delivered_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"delivery {self.id} guid={self.guid} {kind} at {when} (status {self.status_code})"


class DeliveryLog(Protocol):
    """The App's delivery log: attempts newest first (all pages), and a redelivery request."""

    def newest_first(self) -> Iterator[Delivery]: ...

    def redeliver(self, delivery_id: int) -> None: ...


class Ledger(Protocol):
    """What the Redis client offers that the recovery needs."""

    def set(self, name: str, value: str, ex: int | None = None, nx: bool = False) -> object: ...

    def exists(self, *names: str) -> int: ...

    def delete(self, *names: str) -> int: ...


@dataclass
class RecoveryReport:
    scanned: int = 0
    asked: list[Delivery] = field(default_factory=list)
    # Recorded in the ledger already: another scheduler or an earlier run asked for it.
    already_asked: list[Delivery] = field(default_factory=list)
    errors: list[tuple[Delivery, str]] = field(default_factory=list)


def parse_duration(text: str) -> timedelta:
    """`72h`, `30m`, `3d`, `90s` -> timedelta; anything else is a ValueError saying so."""
    match = _DURATION.match(text)
    if not match or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not a duration like 72h, 30m, 3d or 90s")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


def failed_deliveries(attempts: Iterable[Delivery], since: datetime) -> list[Delivery]:
    """The first attempt of every event (guid) whose attempts since `since` all failed and
    that nobody has asked to redeliver yet, oldest first. Reading stops at the first attempt
    older than `since` (the log is newest first)."""
    by_guid: dict[str, list[Delivery]] = {}
    for attempt in attempts:
        if attempt.delivered_at < since:
            break
        by_guid.setdefault(attempt.guid, []).append(attempt)
    wanted = []
    for tries in by_guid.values():
        # A success means the receiver has it; a redelivery means someone already asked.
        if any(t.succeeded or t.redelivery for t in tries):
            continue
        wanted.append(min(tries, key=lambda t: (t.delivered_at, t.id)))
    return sorted(wanted, key=lambda t: (t.delivered_at, t.id))


def recover_deliveries(
    deliveries: DeliveryLog,
    ledger: Ledger,
    *,
    since: timedelta,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RecoveryReport:
    """Ask GitHub once for every delivery in the last `since` whose every attempt failed."""
    report = RecoveryReport()

    def counted() -> Iterator[Delivery]:
        for attempt in deliveries.newest_first():
            report.scanned += 1
            yield attempt

    # The ledger outlives the window, so an event asked for stays asked for as long as
    # GitHub could still list its failed attempt.
    ttl = int(since.total_seconds()) + 24 * 3600
    for delivery in failed_deliveries(counted(), now() - since):
        key = LEDGER_PREFIX + delivery.guid
        if dry_run:
            (report.already_asked if ledger.exists(key) else report.asked).append(delivery)
            continue
        if not ledger.set(key, str(delivery.id), ex=ttl, nx=True):
            report.already_asked.append(delivery)
            continue
        try:
            deliveries.redeliver(delivery.id)
        except Exception as error:  # noqa: BLE001 - one refusal must not stop the others
            # Not asked after all: let the next run try again.
            ledger.delete(key)
            log.warning("redelivery refused %s: %s", delivery.describe(), error)
            report.errors.append((delivery, str(error)))
            continue
        log.info("asked GitHub to redeliver %s", delivery.describe())
        report.asked.append(delivery)
    return report
