"""Scheduled faults: the next N calls to a route (or any route) fail the way GitHub fails."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from .routing import Reply
from .shapes.core import DOCS

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)


@dataclass
class Fault:
    kind: str  # server_error | secondary_rate_limit | primary_rate_limit | validation_failed
    route: str | None  # operation id / "METHOD /template"; None matches any route
    times: int
    status: int = 502
    retry_after: int = 1
    reset_in: int = 1
    message: str = "Validation Failed"
    used: int = 0

    def matches(self, operation_id: str, key: str) -> bool:
        return self.used < self.times and self.route in (None, operation_id, key)

    def reply(self, simple_422: bool) -> Reply:
        """The response; `simple_422` picks the string-list error shape some routes document."""
        self.used += 1
        if self.kind == "server_error":
            return Reply(self.status, {"message": "Server Error", "documentation_url": DOCS})
        if self.kind == "secondary_rate_limit":
            # githubkit sleeps Retry-After seconds, but 0 reads as "unset" and waits 60 s.
            return Reply(self.status, {"message": SECONDARY_MESSAGE, "documentation_url": DOCS},
                         {"Retry-After": str(self.retry_after)})
        if self.kind == "primary_rate_limit":
            # A whole second ahead at least: a reset in the past means "wait a minute" to clients.
            reset = math.ceil(time.time()) + self.reset_in
            body = {"message": "API rate limit exceeded for installation.",
                    "documentation_url": DOCS}
            return Reply(403, body, {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                                     "x-ratelimit-used": "5000", "x-ratelimit-resource": "core",
                                     "x-ratelimit-reset": str(reset)})
        errors: list = ([self.message] if simple_422 else
                        [{"resource": "Fake", "code": "custom", "message": self.message}])
        return Reply(422, {"message": self.message, "errors": errors,
                           "documentation_url": DOCS, "status": "422"})


@dataclass
class Hold:
    """The next successful call to `route` does its work, then its response waits for `release()`.

    The test can kill the caller in that window: between one write of a sequence and the next
    (after the tree, the commit, the ref). Used once; a hold never reached, or never released
    within `timeout`, is a failure of the fake's test.
    """

    route: str  # operation id or "METHOD /template"
    timeout: float = 120.0
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, operation_id: str | None, key: str | None, status: int) -> bool:
        return (not self.reached.is_set() and 200 <= status < 300
                and self.route in (operation_id, key))

    def wait_for_release(self) -> bool:
        """Called on the server thread of the held call; False when the test never released it."""
        self.reached.set()
        return self.released.wait(self.timeout)

    def release(self) -> None:
        self.released.set()


class FaultQueue:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take(self, operation_id: str, key: str) -> Fault | None:
        return next((f for f in self.faults if f.matches(operation_id, key)), None)

    def pending(self) -> list[Fault]:
        return [f for f in self.faults if f.used < f.times]

    def take_hold(self, operation_id: str | None, key: str | None, status: int) -> Hold | None:
        found = next((h for h in self.holds if h.matches(operation_id, key, status)), None)
        if found is not None:
            found.reached.set()  # taken: the next matching call passes
        return found

    def unreached_holds(self) -> list[Hold]:
        return [h for h in self.holds if not h.reached.is_set()]
