"""`iquest serve` as a real process (what an operator runs), on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.webhooks import TEST_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServeProcess:
    """Runs in `folder` (its own `.env`, never the checkout's) with only the IQUEST_* given."""

    def __init__(self, folder: Path, redis_url: str | None, *args: str, **settings: str) -> None:
        self.port = free_port()
        self.log_path = folder / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
        env.update({"IQUEST_WEBHOOK_SECRET": TEST_SECRET, "IQUEST_DATA_DIR": str(folder / "data"),
                    "PYTHONPATH": str(REPO_ROOT)})
        if redis_url:
            env["IQUEST_REDIS_URL"] = redis_url
        env.update(settings)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "serve", "--port", str(self.port), *args],
            env=env, cwd=folder, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"iquest serve exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"iquest serve did not start:\n{self.log()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
