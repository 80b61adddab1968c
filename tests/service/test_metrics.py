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
