"""Deliveries from a webhook proxy channel (smee.io's format) to the local receiver, byte for byte.

GitHub cannot reach a laptop, so the App's webhook URL is a channel (`IQUEST_WEBHOOK_PROXY_URL`)
that re-emits each delivery as a server-sent event whose data is a JSON object: the delivery's
HTTP headers (lower-cased), `body` (the payload, already parsed) and a `timestamp`; smee also
sends `ready` and `ping` events. A channel that keeps the original bytes puts them in `rawBody`
(a string); only then is the signature GitHub computed guaranteed to verify here. Without it the
body is re-serialised the way smee-client does (JSON.stringify: compact, non-ASCII kept), which
matches what GitHub sent only when GitHub's own encoding was identical; that is said once, and
again on every delivery the receiver then rejects.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from httpx_sse import SSEError, connect_sse

log = logging.getLogger("iquest.proxy")

# Hop-by-hop and proxy-added headers: they describe the channel's request, not GitHub's.
DROPPED = {
    "host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
    "accept-encoding", "proxy-connection", "x-forwarded-for", "x-forwarded-proto",
    "x-forwarded-host", "x-forwarded-port", "via",
}
CHANNEL_FIELDS = {"body", "rawbody", "query", "timestamp"}
SEEN_LIMIT = 10_000


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    exact: bool  # the channel carried the original bytes

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("x-github-delivery")


@dataclass(frozen=True)
class Forwarded:
    delivery_id: str | None
    status: int
    exact: bool


def parse_message(data: str) -> Delivery | None:
    """One channel message as a delivery; None for smee's `ready`/`ping` and other empty data."""
    try:
        message = json.loads(data)
    except ValueError:
        log.warning("webhook proxy: ignored an event whose data is not JSON")
        return None
    if not isinstance(message, dict) or "body" not in message and "rawBody" not in message:
        return None
    raw = message.get("rawBody")
    if isinstance(raw, str):
        body, exact = raw.encode(), True
    else:
        body = json.dumps(message["body"], ensure_ascii=False, separators=(",", ":")).encode()
        exact = False
    headers = {
        key.lower(): str(value) for key, value in message.items()
        if key.lower() not in CHANNEL_FIELDS and key.lower() not in DROPPED
        and isinstance(value, str | int)
    }
    headers.setdefault("content-type", "application/json")
    return Delivery(headers, body, exact)


class WebhookProxy:
    """Subscribe to `channel_url`, POST each delivery to `target_url`; reconnect with backoff."""

    def __init__(self, channel_url: str, target_url: str, *, backoff_base: float = 1.0,
                 backoff_max: float = 30.0,
                 on_forwarded: Callable[[Forwarded], None] | None = None) -> None:
        self.channel_url, self.target_url = channel_url, target_url
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.on_forwarded = on_forwarded
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._last_event_id: str | None = None
        self._warned_inexact = False

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        failures = 0
        with httpx.Client(timeout=httpx.Timeout(30.0, read=None)) as channel, \
                httpx.Client(timeout=30.0) as target:
            while not self.stopping.is_set():
                try:
                    self._listen(channel, target)
                    failures = 0  # the channel ended the stream cleanly: reconnect soon
                    self.stopping.wait(self.backoff_base)
                except (httpx.HTTPError, SSEError) as error:
                    failures += 1
                    delay = min(self.backoff_base * 2 ** (failures - 1), self.backoff_max)
                    log.warning("webhook proxy: channel %s lost (%s); reconnecting in %.1f s",
                                self.channel_url, error, delay)
                    self.stopping.wait(delay)
                finally:
                    self.connected.clear()

    def _listen(self, channel: httpx.Client, target: httpx.Client) -> None:
        headers = {"Accept": "text/event-stream"}
        if self._last_event_id:
            headers["Last-Event-ID"] = self._last_event_id
        with connect_sse(channel, "GET", self.channel_url, headers=headers) as source:
            source.response.raise_for_status()
            self.connected.set()
            log.info("webhook proxy: forwarding %s to %s", self.channel_url, self.target_url)
            for event in source.iter_sse():
                if self.stopping.is_set():
                    return
                if event.id:
                    self._last_event_id = event.id
                if event.event != "message":
                    continue
                delivery = parse_message(event.data)
                if delivery is not None:
                    self._forward(target, delivery)

    def _remember(self, delivery_id: str | None) -> None:
        if delivery_id is not None:
            self._seen[delivery_id] = None
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)

    def _forward(self, target: httpx.Client, delivery: Delivery) -> None:
        # A channel may replay its backlog after a reconnect; GitHub's delivery id says "same".
        if delivery.delivery_id in self._seen:
            return
        if not delivery.exact and not self._warned_inexact:
            self._warned_inexact = True
            log.warning(
                "webhook proxy: %s sends parsed JSON without the original bytes (no rawBody); "
                "deliveries are re-serialised, and their signatures verify only when that "
                "reproduces GitHub's bytes exactly", self.channel_url)
        try:
            response = target.post(self.target_url, content=delivery.body,
                                   headers=delivery.headers)
        except httpx.HTTPError as error:
            log.error("webhook proxy: delivery %s not forwarded: %s", delivery.delivery_id, error)
            return
        self._remember(delivery.delivery_id)
        if response.status_code == 401 and not delivery.exact:
            log.error("webhook proxy: the receiver rejected delivery %s's signature: the channel "
                      "changed the body's bytes (use a channel that forwards rawBody)",
                      delivery.delivery_id)
        else:
            log.info("webhook proxy: delivery %s (%s) → %s", delivery.delivery_id,
                     delivery.headers.get("x-github-event"), response.status_code)
        if self.on_forwarded is not None:
            self.on_forwarded(Forwarded(delivery.delivery_id, response.status_code, delivery.exact))
