"""The worker's metrics port: a default that another process holds gives way to a free port;
a port the operator chose that is taken stays an error."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workers.operations.metrics_server import serve_worker_metrics


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port this test holds open (listening), so nothing else can serve on it meanwhile."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_default_port_gives_way_to_a_free_one_that_serves(
    held_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="iquest.metrics")
    with serve_worker_metrics(tmp_path, "127.0.0.1", held_port, any_port_if_taken=True) as port:
        assert port not in (held_port, 0)
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert answer.status_code == 200
    assert f"the default port {held_port} is taken" in caplog.text
    assert f"worker metrics on http://127.0.0.1:{port}/metrics" in caplog.text


def test_a_taken_port_the_operator_chose_is_an_error(held_port: int, tmp_path: Path) -> None:
    with (
        pytest.raises(OSError, match="in use"),
        serve_worker_metrics(tmp_path, "127.0.0.1", held_port),
    ):
        pass

