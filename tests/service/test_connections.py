"""`iquest serve` under slow and hostile clients, over raw sockets: stalled bodies and half-sent
headers are cut off at their deadlines, memory stays bounded, real deliveries still get through,
and a client that hangs up is one DEBUG line, never a traceback."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.redis_server import TestRedis
from tests.support.serve import ServeProcess
from tests.support.webhooks import load_payload, post_webhook
from tests.support.worker import wait_until

MiB = 1024 * 1024
STALLED_BODY = 24 * MiB
HEADER_TIMEOUT, BODY_TIMEOUT = 2, 5
# The server must have closed every stalled connection well before this.
CLOSE_WAIT = BODY_TIMEOUT + 20


@pytest.fixture
def serve(tmp_path: Path, redis_server: TestRedis) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path, redis_server.url,
                           IQUEST_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
                           IQUEST_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
                           IQUEST_LOG_LEVEL="DEBUG")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _connect(serve: ServeProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", serve.port), timeout=CLOSE_WAIT)


def _headers(length: int, signature: str | None = "sha256=" + "0" * 64) -> bytes:
    lines = ["POST /api/github/webhooks HTTP/1.1", "Host: receiver", "Content-Type: application/json",
             f"Content-Length: {length}", "X-GitHub-Event: issues", "X-GitHub-Delivery: stall-1"]
    if signature is not None:
        lines.append(f"X-Hub-Signature-256: {signature}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    """The server may cut the connection while we send: that is what is being tested."""
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (socket.timeout: it did not)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def test_stalled_bodies_and_headers_are_cut_off_and_memory_stays_bounded(serve: ServeProcess) -> None:
    process = psutil.Process(serve.process.pid)
    baseline = process.memory_info().rss
    # Six bodies of 24 MiB, all but their last KiB sent, under a well-formed (wrong) signature.
    bodies = [_connect(serve) for _ in range(6)]
    senders = []
    for sock in bodies:
        sock.sendall(_headers(STALLED_BODY))
        sender = threading.Thread(target=_send_quietly, args=(sock, b" " * (STALLED_BODY - 1024)))
        sender.start()
        senders.append(sender)
    # Five half-sent header blocks.
    halves = [_connect(serve) for _ in range(5)]
    for sock in halves:
        sock.sendall(b"POST /api/github/webhooks HTTP/1.1\r\nHost: receiver\r\nX-GitHub-Ev")
    for sender in senders:
        sender.join(timeout=CLOSE_WAIT)
    peak = process.memory_info().rss
    # A real delivery during the stall: answered, within 2 s.
    ping = post_webhook(serve.url, "ping", load_payload("ping/ping.json"), timeout=2)
    assert ping.status_code == 200, ping.text
    # Unsigned: refused from its headers alone, without reading the 24 MiB.
    unsigned = _connect(serve)
    unsigned.sendall(_headers(STALLED_BODY, signature=None))
    refusal = _until_closed(unsigned)
    assert refusal.startswith(b"HTTP/1.1 401"), refusal[:200]
    for sock in bodies:
        answer = _until_closed(sock)  # socket.timeout here: the server left it open
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    for sock in halves:
        assert _until_closed(sock).startswith(b"HTTP/1.1 408")
    growth = (max(peak, process.memory_info().rss) - baseline) / MiB
    assert growth <= 128, f"the receiver grew by {growth:.0f} MiB"
    log = serve.log()
    assert "request body not received in time" in log
    assert "request headers not received in time" in log
    assert "Traceback" not in log and " 500" not in log
    for sock in [*bodies, *halves, unsigned]:
        sock.close()


def test_a_client_that_hangs_up_mid_body_is_one_debug_line(serve: ServeProcess) -> None:
    for size in (64 * 1024, 3 * MiB):  # in memory, and spooled to disk
        sock = _connect(serve)
        sock.sendall(_headers(size + 100))
        sock.sendall(b" " * size)
        sock.close()
    wait_until(lambda: serve.log().count("client went away") >= 2, timeout=20,
               what="the receiver to notice both clients went away")
    log = serve.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log
    ping = post_webhook(serve.url, "ping", load_payload("ping/ping.json"), timeout=5)
    assert ping.status_code == 200


def test_malformed_delivery_headers_are_refused_before_the_body(serve: ServeProcess) -> None:
    sock = _connect(serve)
    # Signed-looking, but the event header is not an event name: 400 without reading the body.
    head = _headers(STALLED_BODY).replace(b"X-GitHub-Event: issues", b"X-GitHub-Event: ../x")
    sock.sendall(head)
    answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"X-GitHub-Event" in answer
    sock.close()


def test_bodies_past_the_spool_budget_are_told_to_retry(tmp_path: Path, redis_server: TestRedis) -> None:
    serve = ServeProcess(tmp_path, redis_server.url, IQUEST_WEBHOOK_MEMORY_BYTES=str(64 * 1024),
                         IQUEST_WEBHOOK_SPOOL_BYTES=str(1 * MiB))
    try:
        serve.wait_ready()
        sock = _connect(serve)
        sock.sendall(_headers(4 * MiB))
        sender = threading.Thread(target=_send_quietly, args=(sock, b" " * (4 * MiB)))
        sender.start()
        answer = _until_closed(sock)
        sender.join(timeout=CLOSE_WAIT)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"retry-after: 5" in answer.lower()
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"].startswith("too many large")
        # The budget is given back: a delivery that fits in memory goes through.
        assert post_webhook(serve.url, "ping", load_payload("ping/ping.json")).status_code == 200
    finally:
        serve.stop()


def test_every_worker_process_of_serve_has_the_deadlines(tmp_path: Path, redis_server: TestRedis) -> None:
    # `--workers 2`: uvicorn starts fresh processes from a pickled Config; the deadlines
    # travel on it, and the setup token and public URL through the environment.
    serve = ServeProcess(tmp_path, redis_server.url, "--workers", "2",
                         IQUEST_HEADER_TIMEOUT_SECONDS="1", IQUEST_SETUP_TOKEN="shared-token-1")
    try:
        serve.wait_ready(timeout=90)
        for _ in range(4):  # connections are spread over both processes
            sock = _connect(serve)
            sock.sendall(b"POST /api/github/webhooks HTTP/1.1\r\nHost: receiver\r\nX-GitHub-Ev")
            assert _until_closed(sock).startswith(b"HTTP/1.1 408")
            sock.close()
            page = httpx.get(f"{serve.url}/setup", params={"token": "shared-token-1"})
            assert page.status_code == 200
            assert f'action="{serve.url}/setup"' in page.text
    finally:
        serve.stop()
