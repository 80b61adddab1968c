"""The edge's /metrics answers with Redis gone, and says so."""

from __future__ import annotations

import socket

from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.scrape import scrape


def test_metrics_answer_without_redis_and_report_it_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    thread = ReceiverThread(receiver_settings(), f"redis://127.0.0.1:{closed_port}/0")
    thread.start()
    try:
        scraped = scrape(f"{thread.url}/metrics")
    finally:
        thread.stop()
    assert scraped.value("iquest_redis_up") == 0
    assert "iquest_queue_depth" not in scraped.text


def test_metrics_are_not_public(redis_server) -> None:
    import httpx

    # No token: loopback only, and nothing a proxy on this host relayed from elsewhere.
    open_thread = ReceiverThread(receiver_settings(), redis_server.url)
    open_thread.start()
    try:
        assert httpx.get(f"{open_thread.url}/metrics").status_code == 200
        relayed = httpx.get(f"{open_thread.url}/metrics",
                            headers={"X-Forwarded-For": "203.0.113.5"})
        assert relayed.status_code == 403 and "IQUEST_METRICS_TOKEN" in relayed.text
    finally:
        open_thread.stop()
    # A token: required from everyone, loopback too.
    thread = ReceiverThread(receiver_settings(metrics_token="scrape-token-1"), redis_server.url)
    thread.start()
    try:
        assert httpx.get(f"{thread.url}/metrics").status_code == 403
        assert httpx.get(f"{thread.url}/metrics",
                         headers={"Authorization": "Bearer wrong"}).status_code == 403
        good = httpx.get(f"{thread.url}/metrics", headers={"Authorization": "Bearer scrape-token-1"})
        assert good.status_code == 200 and "iquest_redis_up" in good.text
    finally:
        thread.stop()


def test_only_loopback_and_the_configured_networks_read_metrics_without_a_token() -> None:
    from starlette.requests import Request

    from service.health import metrics_allowed, parse_networks

    def asking(host: str, headers: list[tuple[bytes, bytes]] = ()) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/metrics", "headers": list(headers),
                        "client": (host, 40000), "query_string": b""})

    cluster = parse_networks("10.0.0.0/8, fd00::/8")
    assert metrics_allowed(asking("127.0.0.1"), None, [])
    assert metrics_allowed(asking("::1"), None, [])
    assert metrics_allowed(asking("10.1.2.3"), None, cluster)
    assert metrics_allowed(asking("fd00::5"), None, cluster)
    assert not metrics_allowed(asking("203.0.113.5"), None, cluster)
    assert not metrics_allowed(asking("10.1.2.3", [(b"x-forwarded-for", b"203.0.113.5")]), None, cluster)
    assert not metrics_allowed(asking("10.1.2.3"), b"token", cluster)  # a token replaces networks
