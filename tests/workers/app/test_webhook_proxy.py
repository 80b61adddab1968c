"""The webhook proxy client against a local smee-format channel and the real receiver."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from service.signature import sign
from tests.fakes.proxy_channel import ProxyChannel
from tests.support.webhooks import TEST_SECRET, WEBHOOKS_DIR
from workers.app.webhook_proxy import Forwarded, WebhookProxy, parse_message

FILES = ["ping/ping.json", "issues/labeled.json", "issues/opened.json",
         "issue_comment/created.json", "pull_request/opened.json"]


def _publish(channel: ProxyChannel, relative: str, number: int) -> str:
    """POST a real payload to the channel exactly as GitHub would (raw file bytes, signed)."""
    raw = (WEBHOOKS_DIR / relative).read_bytes()
    delivery = f"00000000-0000-0000-0000-{number:012d}"
    httpx.post(channel.url, content=raw, headers={
        "Content-Type": "application/json", "X-GitHub-Event": relative.split("/")[0],
        "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sign(TEST_SECRET.encode(), raw),
        "User-Agent": "GitHub-Hookshot/test"}).raise_for_status()
    return delivery


def _wait_for(predicate, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def forwarded() -> list[Forwarded]:
    return []


@contextmanager
def _proxy(channel: ProxyChannel, receiver, forwarded: list[Forwarded]) -> Iterator[WebhookProxy]:
    proxy = WebhookProxy(channel.url, f"{receiver.url}/api/github/webhooks",
                         backoff_base=0.05, backoff_max=0.2, on_forwarded=forwarded.append)
    thread = threading.Thread(target=proxy.run, daemon=True)
    thread.start()
    assert proxy.connected.wait(10)
    try:
        yield proxy
    finally:
        proxy.stop()
        channel.stop()
        thread.join(timeout=10)


@pytest.mark.parametrize("event_ids", [True, False], ids=["resumes-by-id", "replays-backlog"])
def test_every_delivery_arrives_once_across_a_dropped_connection(
        receiver, forwarded: list[Forwarded], event_ids: bool) -> None:
    channel = ProxyChannel(raw_body=True, event_ids=event_ids).start()
    channel.drop_after(2)
    with _proxy(channel, receiver, forwarded):
        sent = [_publish(channel, name, n) for n, name in enumerate(FILES)]
        _wait_for(lambda: len(forwarded) == len(sent) and channel.connections >= 2,
                  "every delivery after the reconnect")
        # A replayed duplicate precedes the last new delivery on the stream, so it would have
        # been counted above (the count must hit exactly 5).
        assert channel.connections == 2
        assert sorted(f.delivery_id for f in forwarded) == sorted(sent)
        # The receiver verified GitHub's signature over the exact bytes (401 otherwise).
        assert all(f.status in (200, 202) and f.exact for f in forwarded), forwarded


def test_a_channel_without_the_raw_bytes_is_called_out(receiver, forwarded: list[Forwarded],
                                                       caplog) -> None:
    channel = ProxyChannel(raw_body=False).start()
    caplog.set_level(logging.INFO, logger="iquest.proxy")
    with _proxy(channel, receiver, forwarded):
        # The payload files are pretty-printed: re-serialised JSON cannot reproduce them.
        _publish(channel, "ping/ping.json", 1)
        _wait_for(lambda: len(forwarded) == 1, "the delivery")
    assert forwarded[0].status == 401 and not forwarded[0].exact
    text = caplog.text
    assert "without the original bytes" in text
    assert "changed the body's bytes" in text


def test_parse_message_keeps_github_headers_and_drops_the_channels() -> None:
    delivery = parse_message('{"host": "smee.io", "x-github-event": "ping", "content-length": "9",'
                             ' "body": {"zen": "ü"}, "rawBody": "{\\"zen\\": \\"ü\\"}",'
                             ' "timestamp": 1, "query": {}}')
    assert delivery is not None and delivery.exact
    assert delivery.body == '{"zen": "ü"}'.encode()
    assert delivery.headers == {"x-github-event": "ping", "content-type": "application/json"}
    assert parse_message("{}") is None  # smee's `ready` and `ping` events
