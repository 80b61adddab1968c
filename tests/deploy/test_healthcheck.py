"""deploy/healthcheck.py, the image's HEALTHCHECK: the receiver's /healthz for `iquest serve`,
the broker for `iquest worker` and `iquest beat`; against a real receiver and Redis."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
healthcheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(healthcheck)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_role_and_port_come_from_the_command_line() -> None:
    argv = ["/opt/iquest/bin/python", "/opt/iquest/bin/iquest", "serve", "--host", "0.0.0.0",
            "--port", "3001"]
    assert healthcheck.role_and_port(argv) == ("serve", 3001)
    assert healthcheck.role_and_port(["/sbin/docker-init", "--", "iquest", "worker",
                                      "--concurrency", "2"]) == ("worker", 3000)
    assert healthcheck.role_and_port(["iquest", "beat"])[0] == "beat"


def test_receiver_is_healthy_while_healthz_answers(receiver) -> None:
    argv = ["iquest", "serve", "--port", str(receiver.port)]
    assert healthcheck.check(argv, {}) is None
    problem = healthcheck.check(["iquest", "serve", f"--port={_closed_port()}"], {})
    assert problem and problem.startswith("serve: URLError")


def test_worker_and_beat_are_healthy_while_the_broker_answers(redis_server, redis_client) -> None:
    for role in ("worker", "beat"):
        assert healthcheck.check(["iquest", role], {"IQUEST_REDIS_URL": redis_server.url}) is None
        down = {"IQUEST_REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
        assert "ConnectionError" in (healthcheck.check(["iquest", role], down) or "")
