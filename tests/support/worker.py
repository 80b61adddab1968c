"""A real Celery worker process (`iquest worker`) wired to the fake GitHub and the test Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import TestRedis
from tests.support.webhooks import TEST_SECRET


class WorkerProcess:
    def __init__(
        self, env: dict[str, str], log_path: Path, pool: str = "solo", concurrency: int = 1
    ) -> None:
        """`solo` runs jobs in the worker process itself; `prefork` in pool child processes."""
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker", "--pool", pool,
             "--concurrency", str(concurrency)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to release anything."""
        self.process.kill()
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is not None:
            self._log.close()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def wait_until(condition: Callable[[], object], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def worker_env(fake_github: object, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(
        {
            "IQUEST_APP_ID": str(fake_github.app_id),
            "IQUEST_PRIVATE_KEY": fake_github.private_key,
            "IQUEST_GITHUB_API_URL": fake_github.url,
            "IQUEST_REDIS_URL": redis_url,
            "IQUEST_WEBHOOK_SECRET": TEST_SECRET,
            "IQUEST_DATA_DIR": str(data_dir),
            "IQUEST_GITHUB_RETRY_BASE_SECONDS": "0.05",
            # Keeps end-to-end tests quick; pacing itself is tested in tests/workers/github.
            "IQUEST_GITHUB_WRITE_INTERVAL_SECONDS": "0.05",
            "IQUEST_LOG_LEVEL": "INFO",
            # Tests that scrape the worker choose a free port; the rest need none.
            "IQUEST_WORKER_METRICS_PORT": "0",
            # Flows tested without running the fixes' tests; tests of verification pass
            # IQUEST_SANDBOX="auto" (tests/workers/handlers/test_verified_fix.py).
            "IQUEST_SANDBOX": "none",
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def worker_settings() -> dict[str, str]:
    """Extra IQUEST_ settings for the `worker` fixture; a test module overrides this fixture."""
    return {}


@pytest.fixture
def worker(
    fake_github,
    model_server,
    redis_server: TestRedis,
    redis_client,
    tmp_path: Path,
    worker_settings: dict[str, str],
) -> Iterator[WorkerProcess]:
    env = worker_env(
        fake_github,
        redis_server.url,
        tmp_path / "data",
        IQUEST_MODEL_BASE_URL=model_server.base_url,
        IQUEST_MODEL_CONTEXT_TOKENS="32768",
        **worker_settings,
    )
    process = WorkerProcess(env, tmp_path / "worker.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
