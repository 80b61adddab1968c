"""Every Prometheus metric the workers export, defined here and nowhere else, with the calls that move them.

One `WorkerMetrics` per process, built by the runtime and passed to whoever observes. Under
`iquest worker` prometheus-client runs in multiprocess mode (see `workers/operations/metrics_server.py`):
each Celery pool child writes its own memory-mapped file and the worker's metrics endpoint
sums them, so the registry given here only matters where there is one process (`iquest fix`,
tests).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from workers.model.port import ChatModel
from workers.model.reply import ChatMessage, ModelError, ModelReply

# A job spans seconds (help) to the 30-minute hard limit; a stage, milliseconds to minutes.
_JOB_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_MODEL_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)


@dataclass
class JobTracking:
    """Set `outcome` before the `track_job` block ends; an exception that escapes unset is a crash."""

    outcome: str = ""


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.registry = registry
        self._jobs = Counter(
            "iquest_jobs", "Jobs finished, by job kind and outcome",
            ["kind", "outcome"], registry=registry,
        )
        self._job_seconds = Histogram(
            "iquest_job_duration_seconds", "Wall time of one job run, by kind and outcome",
            ["kind", "outcome"], buckets=_JOB_BUCKETS, registry=registry,
        )
        # livesum: a pool child that dies mid-job stops counting once it is marked dead.
        self._in_progress = Gauge(
            "iquest_jobs_in_progress", "Jobs running now, by kind",
            ["kind"], multiprocess_mode="livesum", registry=registry,
        )
        self._stage_seconds = Histogram(
            "iquest_stage_duration_seconds",
            "Wall time of one pipeline stage (snapshot, localize, pack, model, apply, publish)",
            ["stage"], buckets=_STAGE_BUCKETS, registry=registry,
        )
        self._model_seconds = Histogram(
            "iquest_model_request_duration_seconds",
            "Latency of one chat completion, by outcome (ok, error)",
            ["outcome"], buckets=_MODEL_BUCKETS, registry=registry,
        )
        self._model_tokens = Counter(
            "iquest_model_tokens", "Tokens the model server reported, by kind (prompt, completion)",
            ["kind"], registry=registry,
        )
        self._github_requests = Counter(
            "iquest_github_requests",
            "HTTP requests to GitHub (every attempt), by templated route and status",
            ["route", "status"], registry=registry,
        )
        # mostrecent: across pool children, the value GitHub sent last is the true one.
        self._rate_limit = Gauge(
            "iquest_github_rate_limit_remaining",
            "X-RateLimit-Remaining of the last GitHub answer, by installation ('app' for the App JWT)",
            ["installation"], multiprocess_mode="mostrecent", registry=registry,
        )
        self._redelivered = Counter(
            "iquest_deliveries_redelivered",
            "Failed webhook deliveries GitHub was asked to redeliver", registry=registry,
        )
        self._redelivery_failed = Counter(
            "iquest_deliveries_redelivery_failed",
            "Redelivery requests GitHub refused or that failed", registry=registry,
        )
        # Test environments (workers/environments).
        self._env_builds = Counter(
            "iquest_environment_builds", "Test environment builds, by outcome (built, failed)",
            ["outcome"], registry=registry,
        )
        self._env_build_seconds = Histogram(
            "iquest_environment_build_seconds", "Wall time of one test environment build",
            buckets=_STAGE_BUCKETS, registry=registry,
        )
        self._env_hits = Counter(
            "iquest_environment_cache_hits", "Test environments reused from the cache", registry=registry,
        )
        self._env_bytes = Gauge(
            "iquest_environment_cache_bytes", "Bytes of built test environments on this worker's cache",
            multiprocess_mode="mostrecent", registry=registry,
        )

    @contextlib.contextmanager
    def track_job(self, kind: str) -> Iterator[JobTracking]:
        tracking = JobTracking()
        self._in_progress.labels(kind).inc()
        started = time.perf_counter()
        try:
            yield tracking
        except BaseException:
            tracking.outcome = tracking.outcome or "crashed"
            raise
        finally:
            self._in_progress.labels(kind).dec()
            outcome = tracking.outcome or "crashed"
            self._jobs.labels(kind, outcome).inc()
            self._job_seconds.labels(kind, outcome).observe(time.perf_counter() - started)

    @contextlib.contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """A `StageTimer` for the pipeline; a stage that raises is timed too."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._stage_seconds.labels(stage.value).observe(time.perf_counter() - started)

    def observe_model_call(self, seconds: float, reply: ModelReply | None) -> None:
        self._model_seconds.labels("ok" if reply is not None else "error").observe(seconds)
        if reply is not None:
            self._model_tokens.labels("prompt").inc(reply.prompt_tokens)
            self._model_tokens.labels("completion").inc(reply.completion_tokens)

    def observe_github_response(
        self, installation: str, route: str, status: str, remaining: str | None
    ) -> None:
        """One HTTP attempt; `status` is the code, or `error` when no answer came."""
        self._github_requests.labels(route, status).inc()
        if remaining is not None and remaining.isdigit():
            self._rate_limit.labels(installation).set(int(remaining))

    def count_redelivered(self, count: int = 1) -> None:
        """The redelivery task: GitHub accepted `count` redelivery requests."""
        self._redelivered.inc(count)

    def count_redelivery_failed(self, count: int = 1) -> None:
        self._redelivery_failed.inc(count)

    def environment_built(self, outcome: str, seconds: float) -> None:
        self._env_builds.labels(outcome).inc()
        self._env_build_seconds.observe(seconds)

    def environment_reused(self) -> None:
        self._env_hits.inc()

    def environment_cache_bytes(self, size: int) -> None:
        self._env_bytes.set(size)


class ObservedModel:
    """A ChatModel that records each call's latency and token counts."""

    def __init__(self, model: ChatModel, metrics: WorkerMetrics) -> None:
        self._model = model
        self._metrics = metrics

    def complete(self, messages: list[ChatMessage], max_tokens: int) -> ModelReply:
        started = time.perf_counter()
        try:
            reply = self._model.complete(messages, max_tokens)
        except ModelError:
            self._metrics.observe_model_call(time.perf_counter() - started, None)
            raise
        self._metrics.observe_model_call(time.perf_counter() - started, reply)
        return reply

    def complete_many(self, messages: list[ChatMessage], max_tokens: int, n: int) -> list[ModelReply]:
        """Several samples in one call, when the wrapped model can (else none: callers top up)."""
        many = getattr(self._model, "complete_many", None)
        if many is None:
            return []
        started = time.perf_counter()
        replies = many(messages, max_tokens, n)
        if replies:
            # One request: its usage rides on the first reply.
            self._metrics.observe_model_call(time.perf_counter() - started, replies[0])
        return replies
