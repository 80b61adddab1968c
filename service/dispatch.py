"""Decide and hand off: a verified delivery becomes a queued job, a duplicate, or a reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from service.metrics import ServiceMetrics
from workers.intake.enqueue import EnqueueOutcome, EnqueueResult, EnqueueUnavailable
from workers.intake.jobs import Job
from workers.intake.triggers import Delivery, Ignored, TriggerRules, decide

log = logging.getLogger("iquest.dispatch")


class Enqueuer(Protocol):
    async def enqueue(self, job: Job) -> EnqueueResult: ...


@dataclass(frozen=True)
class DispatchOutcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


class Dispatcher:
    def __init__(self, rules: TriggerRules, enqueuer: Enqueuer, metrics: ServiceMetrics) -> None:
        self.rules = rules
        self.enqueuer = enqueuer
        self.metrics = metrics

    async def dispatch(self, event: str, delivery_id: str, payload: dict[str, Any]) -> DispatchOutcome:
        decision = decide(Delivery(event, delivery_id, payload), self.rules)
        if isinstance(decision, Ignored):
            self.metrics.count_delivery(event, "ignored")
            return DispatchOutcome(200, {"status": "ignored", "reason": decision.reason})
        try:
            result = await self.enqueuer.enqueue(decision)
        except EnqueueUnavailable as error:
            # 5xx so GitHub shows the delivery as failed and it can be redelivered.
            self.metrics.count_delivery(event, "unavailable")
            log.error("enqueue failed delivery=%s job=%s: %s", delivery_id, decision.job_id, error)
            return DispatchOutcome(503, {"status": "unavailable", "error": "queue unavailable, retry later"})
        if result.outcome is EnqueueOutcome.DUPLICATE:
            self.metrics.count_delivery(event, "duplicate")
            return DispatchOutcome(200, {"status": "duplicate", "job_id": result.job_id})
        self.metrics.count_delivery(event, "queued")
        # DEBUG: the worker logs every job it runs with the same ids; a log write per
        # delivery costs the edge a syscall on its hottest path.
        log.debug(
            "queued delivery=%s job=%s kind=%s target=%s",
            delivery_id, result.job_id, decision.kind, decision.target_key,
        )
        return DispatchOutcome(
            202, {"status": "queued", "job_id": result.job_id, "job": decision.kind.value}
        )
