"""The real receiver (create_app under uvicorn) on a loopback port, in a background thread."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from service.app import create_app
from service.connections import server_config
from tests.support.redis_server import TestRedis
from tests.support.webhooks import TEST_REPAIR_TOKEN, TEST_SECRET, TEST_SETUP_TOKEN
from workers.app.credentials import CredentialsStore
from workers.config import Settings


def isolated_store() -> CredentialsStore:
    folder = Path(tempfile.mkdtemp(prefix="iquest-receiver-"))
    return CredentialsStore(folder / ".env", folder / "github-app.pem")


class ReceiverThread:
    def __init__(self, settings: Settings, redis_url: str,
                 credentials: CredentialsStore | None = None) -> None:
        # Bound here and handed to uvicorn, so no other test can take the port meanwhile.
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        if settings.public_url is None:  # what `iquest serve` does: the URL it listens on
            settings = settings.model_copy(update={"public_url": self.url})
        # The same uvicorn configuration as `iquest serve`: deadlines, limits, h11.
        config = server_config(
            # Never the checkout's own .env: a test receiver saves credentials under a temp dir.
            create_app(settings, redis_url, credentials or isolated_store()),
            settings, "127.0.0.1", self.port,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self._socket.close()


def receiver_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"webhook_secret": TEST_SECRET, "max_webhook_bytes": 1024 * 1024,
                                 "repair_token": TEST_REPAIR_TOKEN, "setup_token": TEST_SETUP_TOKEN}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="module")
def receiver(redis_server: TestRedis) -> Iterator[ReceiverThread]:
    thread = ReceiverThread(receiver_settings(), redis_server.url)
    thread.start()
    yield thread
    thread.stop()
