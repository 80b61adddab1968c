"""Durable or nothing: with Redis down the edge answers 503 and remembers nothing."""

from __future__ import annotations

import uuid

import httpx

from tests.support.webhooks import post_webhook, variant

LABELED = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 7}})


def test_redis_down_is_503_then_accepted_after_restart(receiver, redis_server, redis_client) -> None:
    delivery = str(uuid.uuid4())
    assert post_webhook(receiver.url, "issues", LABELED).status_code == 202
    redis_server.stop()
    try:
        failed = post_webhook(receiver.url, "issues", LABELED, delivery_id=delivery)
        assert failed.status_code == 503
        assert httpx.get(f"{receiver.url}/readyz").status_code == 503
    finally:
        redis_server.start()
    # The failed delivery was not remembered as seen: GitHub's redelivery is queued.
    again = post_webhook(receiver.url, "issues", LABELED, delivery_id=delivery)
    assert again.status_code == 202, again.text
    client = redis_server.client()
    assert client.llen("iquest") == 2
    assert httpx.get(f"{receiver.url}/readyz").status_code == 200
