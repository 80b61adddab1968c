"""Signatures, malformed requests, oversized bodies and redelivery at the webhook edge."""

from __future__ import annotations

import uuid

import httpx

from service.signature import sign
from tests.support.webhooks import (
    TEST_SECRET,
    TEST_SETUP_TOKEN,
    load_payload,
    post_webhook,
    variant,
)

LABELED = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 7}})


def test_missing_signature_is_401_and_queues_nothing(receiver, redis_client) -> None:
    response = post_webhook(receiver.url, "issues", LABELED, signature="")
    assert response.status_code == 401
    assert redis_client.llen("iquest") == 0


def test_wrong_secret_is_401(receiver, redis_client) -> None:
    response = post_webhook(receiver.url, "issues", LABELED, secret="not-the-secret")
    assert response.status_code == 401
    assert redis_client.llen("iquest") == 0


def test_malformed_signature_header_is_401(receiver, redis_client) -> None:
    for bad in ("sha1=abc", "sha256=", "sha256=zz", "garbage"):
        response = post_webhook(receiver.url, "issues", LABELED, signature=bad)
        assert response.status_code == 401, bad
    assert redis_client.llen("iquest") == 0


def test_signature_over_other_bytes_is_401(receiver, redis_client) -> None:
    import json

    raw = json.dumps(LABELED).encode()
    tampered = raw.replace(b'"autofix"', b'"autofix" ')
    response = post_webhook(
        receiver.url, "issues", tampered, signature=sign(TEST_SECRET.encode(), raw)
    )
    assert response.status_code == 401
    assert redis_client.llen("iquest") == 0


def test_missing_event_or_delivery_header_is_400(receiver) -> None:
    body = b"{}"
    headers = {"X-Hub-Signature-256": sign(TEST_SECRET.encode(), body)}
    url = f"{receiver.url}/api/github/webhooks"
    assert httpx.post(url, content=body, headers={**headers, "X-GitHub-Delivery": "x"}).status_code == 400
    assert httpx.post(url, content=body, headers={**headers, "X-GitHub-Event": "issues"}).status_code == 400


def test_malformed_json_is_400(receiver, redis_client) -> None:
    assert post_webhook(receiver.url, "issues", b"{not json").status_code == 400
    assert post_webhook(receiver.url, "issues", b"[1, 2]").status_code == 400
    assert redis_client.llen("iquest") == 0


def test_oversized_body_is_413_without_reading_it(receiver, redis_client) -> None:
    # The fixture's limit is 1 MiB; the declared length alone decides.
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    response = post_webhook(receiver.url, "issues", big)
    assert response.status_code == 413
    assert redis_client.llen("iquest") == 0


def test_redelivery_queues_once_and_says_duplicate(receiver, redis_client) -> None:
    delivery = str(uuid.uuid4())
    first = post_webhook(receiver.url, "issues", LABELED, delivery_id=delivery)
    second = post_webhook(receiver.url, "issues", LABELED, delivery_id=delivery)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "job_id": first.json()["job_id"]}
    assert redis_client.llen("iquest") == 1
    # GitHub redelivers for days: the delivery id is kept at least three.
    ttl = redis_client.ttl(f"iquest:delivery:{delivery}")
    assert ttl > 3 * 24 * 3600 - 60


def test_ping_answers_200(receiver) -> None:
    response = post_webhook(receiver.url, "ping", load_payload("ping/ping.json"))
    assert response.status_code == 200


def test_health_and_metrics(receiver) -> None:
    assert httpx.get(f"{receiver.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{receiver.url}/readyz").status_code == 200

    def queued_count() -> float:
        series = 'iquest_webhook_deliveries_total{event="issues",outcome="queued"} '
        for line in httpx.get(f"{receiver.url}/metrics").text.splitlines():
            if line.startswith(series):
                return float(line[len(series) :])
        return 0.0

    before = queued_count()
    assert post_webhook(receiver.url, "issues", LABELED).status_code == 202
    assert queued_count() == before + 1


def test_setup_page_carries_the_manifest(receiver) -> None:
    page = httpx.post(f"{receiver.url}/setup", data={"token": TEST_SETUP_TOKEN}).text
    assert "settings/apps/new" in page
    assert "/api/github/webhooks" in page
    assert "workflows" not in page  # the manifest asks for no workflows permission
