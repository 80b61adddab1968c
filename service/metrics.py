"""Prometheus metrics of the edge, on a registry owned by one app instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._deliveries = Counter(
            "iquest_webhook_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )

    def count_delivery(self, event: str, outcome: str) -> None:
        self._deliveries.labels(event, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
