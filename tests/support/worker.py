"""A real Celery worker process (`iquest worker`) wired to the fake GitHub and the test Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import TestRedis
from tests.support.webhooks import TEST_SECRET

# Celery's log line for each step of a task: received, then succeeded / raised / retry / ….
_TASK_EVENT = re.compile(r"Task [\w.]+\[(\w+)\] (received|succeeded|raised|retry|failed|rejected)")


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

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to release anything."""
        self.process.kill()
        self.process.wait(timeout=15)

    def busy(self) -> bool:
        """A task received and not yet finished, by the worker's own log."""
        last: dict[str, str] = {}
        for task_id, event in _TASK_EVENT.findall(self.log()):
            last[task_id] = event
        return "received" in last.values()

    def stop(self) -> None:
        if self.process.poll() is not None:
            self._log.close()
            return
        # A job may still be finishing after what the test waited for (its lease released, its
        # ticket closed): stopping mid-way would cut it short (IQUEST_WORKER_SHUTDOWN_SECONDS is
        # 1 here) and hand it back to the queue unfinished. Bounded: a stuck job is the test's
        # failure.
        deadline = time.monotonic() + 20
        while self.busy() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
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
            # Tests that scrape the worker drop this and read the port it logs; the rest need none.
            "IQUEST_WORKER_METRICS_PORT": "0",
            # Flows tested without running the fixes' tests; tests of verification pass
            # IQUEST_SANDBOX="auto" (tests/workers/handlers/test_verified_fix.py).
            "IQUEST_SANDBOX": "none",
            # Celery's soft shutdown waits this long once a job has run, even a finished one;
            # tests of the shutdown window set their own (tests/workers/cli/test_worker_shutdown.py).
            "IQUEST_WORKER_SHUTDOWN_SECONDS": "1",
        }
    )
    env.update(extra)
    return env


def start_worker(
    fake_github, model_server, redis_server: TestRedis, tmp_path: Path, name: str = "worker",
    pool: str = "solo", concurrency: int = 1, wait: bool = True, **settings: str,
) -> WorkerProcess:
    """`iquest worker` on this test's fake GitHub, scripted model and Redis, logging to
    `tmp_path/NAME.log`; `settings` are extra IQUEST_* variables. The caller stops it."""
    env = worker_env(
        fake_github, redis_server.url, tmp_path / "data",
        IQUEST_MODEL_BASE_URL=model_server.base_url,
        IQUEST_MODEL_CONTEXT_TOKENS="32768",
        **settings,
    )
    process = WorkerProcess(env, tmp_path / f"{name}.log", pool, concurrency)
    if wait:
        try:
            process.wait_ready()
        except BaseException:
            process.stop()
            raise
    return process


@pytest.fixture
def launch_worker(
    fake_github, model_server, redis_server: TestRedis, redis_client, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """`launch_worker(name=, pool=, concurrency=, wait=, redis=, **IQUEST_settings)`: start a
    worker as `start_worker` does (on `redis`, a `TestRedis`, when given); every worker
    launched is stopped when the test ends. The crash, fault and flow tests share it."""
    launched: list[WorkerProcess] = []

    def launch(redis: TestRedis | None = None, **options) -> WorkerProcess:
        process = start_worker(fake_github, model_server, redis or redis_server, tmp_path,
                               **options)
        launched.append(process)
        return process

    try:
        yield launch
    finally:
        for process in launched:
            process.stop()


@pytest.fixture
def worker_settings() -> dict[str, str]:
    """Extra IQUEST_ settings for the `worker` fixture; a test module overrides this fixture."""
    return {}


@pytest.fixture
def worker(
    launch_worker: Callable[..., WorkerProcess], worker_settings: dict[str, str]
) -> WorkerProcess:
    return launch_worker(**worker_settings)
