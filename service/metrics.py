"""Prometheus metrics of the edge, on a registry owned by one app instance.

Besides the deliveries it counts, the edge reports the Celery queue (depth, age of the oldest
waiting job), read from Redis at every scrape: the edge is always running and always
scraped, so a queue that grows while every worker is down still shows — and alerts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from workers.intake.enqueue import QueueStats


class _QueueCollector(Collector):
    """Yields the queues as last read; `ServiceMetrics.render` sets them right before collecting."""

    def __init__(self, queues: Sequence[str]) -> None:
        self.queues = list(queues)
        self.stats: Mapping[str, QueueStats] | None = None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("iquest_redis_up", "1 when the edge could read the queues from Redis")
        up.add_metric([], 0 if self.stats is None else 1)
        yield up
        if self.stats is None:
            return
        depth = GaugeMetricFamily(
            "iquest_queue_depth", "Jobs waiting in a Celery queue", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "iquest_queue_oldest_job_age_seconds",
            "How long the oldest waiting job has been queued (0 when the queue is empty)",
            labels=["queue"],
        )
        now = time.time()
        for queue, stats in self.stats.items():
            depth.add_metric([queue], stats.depth)
            oldest = stats.oldest_enqueued_at
            age.add_metric([queue], 0.0 if oldest is None else max(0.0, now - oldest))
        yield depth
        yield age


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, queues: Sequence[str] = ("iquest",)) -> None:
        self.registry = CollectorRegistry()
        self._deliveries = Counter(
            "iquest_webhook_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        self._queues = _QueueCollector(queues)
        self.registry.register(self._queues)

    @property
    def queues(self) -> list[str]:
        return self._queues.queues

    def count_delivery(self, event: str, outcome: str) -> None:
        self._deliveries.labels(event, outcome).inc()

    def render(self, queues: Mapping[str, QueueStats] | None = None) -> bytes:
        """The exposition; `queues` is what was just read from Redis (None: Redis unreachable)."""
        # No await between setting and collecting: one scrape cannot see another's reading.
        self._queues.stats = queues
        return generate_latest(self.registry)
