"""Scheduled faults: the next N calls to a route (or any route) fail the way GitHub fails."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

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


class FaultQueue:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take(self, operation_id: str, key: str) -> Fault | None:
        return next((f for f in self.faults if f.matches(operation_id, key)), None)

    def pending(self) -> list[Fault]:
        return [f for f in self.faults if f.used < f.times]
