"""When to retry a GitHub call: 5xx with backoff, rate limits after GitHub's own wait, all capped."""

from __future__ import annotations

from datetime import timedelta

from githubkit.exception import GitHubException, RateLimitExceeded, RequestFailed
from githubkit.retry import RetryOption


class CappedRetry:
    """A githubkit retry decision.

    Waits longer than `max_wait_seconds` are not slept in the worker: the call fails and the
    Celery task retries later, so one rate-limited repository does not pin a worker.
    """

    def __init__(self, max_retries: int, base_seconds: float, max_wait_seconds: float) -> None:
        self.max_retries = max_retries
        self.base_seconds = base_seconds
        self.max_wait_seconds = max_wait_seconds

    def __call__(self, error: GitHubException, retry_count: int) -> RetryOption:
        if retry_count >= self.max_retries:
            return RetryOption(False)
        if isinstance(error, RateLimitExceeded):
            wait = error.retry_after.total_seconds()
            if wait > self.max_wait_seconds:
                return RetryOption(False)
            return RetryOption(True, timedelta(seconds=wait))
        if isinstance(error, RequestFailed) and error.response.status_code >= 500:
            return RetryOption(True, timedelta(seconds=self.base_seconds * 2**retry_count))
        return RetryOption(False)
