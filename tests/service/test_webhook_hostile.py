"""Hostile and broken deliveries: every real payload, mutated, gets a 2xx or 4xx — never a 5xx.

Mutations are what a broken proxy, a future GitHub field or an attacker with the secret could
send: keys dropped, values of the wrong type, nulls, huge and odd Unicode strings, lone
surrogates, deep nesting. Whatever the edge accepts must be a job a worker can run.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.queue import queued_jobs
from tests.support.webhooks import event_of, load_payload, payload_files, post_webhook, variant

PAYLOADS = [(event_of(path), f"{path.parent.name}/{path.name}") for path in payload_files()]
# Trigger variants, so the mutations also hit the paths that queue a job.
TRIGGERS = [
    ("issues", variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 7}})),
    (
        "issue_comment",
        variant(
            "issue_comment/created.json",
            **{"comment.body": "/iquest fix", "comment.author_association": "OWNER",
               "installation": {"id": 7}},
        ),
    ),
]

ODD_STRINGS = st.sampled_from(
    [
        "",
        "\u202e\u2066evil\u2069",  # bidi overrides
        "a\u200b\u200c\u200d\ufeffb",  # zero-width characters
        "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
        "\x00\x01\x7f",
        "/iquest fix\n/iquest help",
        "<!-- iquest:status:1 -->",
        "💥" * 2000,
        "x" * 200_000,
    ]
)
WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    ODD_STRINGS,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON document (list items by index), down to a dozen levels."""
    found = [prefix] if prefix else []
    if len(prefix) >= 12:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(document: Any, path: tuple, action: str, value: Any) -> Any:
    *parents, last = path
    target = document
    for key in parents:
        target = target[key]
    if action == "drop" and isinstance(target, dict):
        del target[last]
    elif action == "nest":
        nested: Any = value
        for _ in range(5000):
            nested = [nested]
        target[last] = nested
    else:
        target[last] = value
    return document


@st.composite
def mutated_deliveries(draw: st.DrawFn) -> tuple[str, bytes]:
    if draw(st.booleans()):
        event, relative = draw(st.sampled_from(PAYLOADS))
        document = load_payload(relative)
    else:
        event, original = draw(st.sampled_from(TRIGGERS))
        document = json.loads(json.dumps(original))
    paths = _paths(document)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["drop", "replace", "replace", "nest"]))
        try:
            document = _mutate(document, path, action, draw(WRONG_VALUES))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced that path's parent
        paths = _paths(document)
    if draw(st.booleans()) and isinstance(document, dict):
        document = draw(st.sampled_from([[], None, "text", 3, [document]]))
    try:
        raw = json.dumps(document).encode()
    except RecursionError:
        raw = b"[" * 100_000 + b"]" * 100_000
    return event, raw


def _clear(client: redis.Redis) -> None:
    """Forget every queue, waiting line and job the app keeps, whatever they are named."""
    for key in client.scan_iter(match="iquest*"):
        client.delete(key)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=mutated_deliveries())
def test_mutated_payloads_get_2xx_or_4xx_and_queue_only_valid_jobs(
    receiver, redis_server, delivery
) -> None:
    event, raw = delivery
    client = redis_server.client()
    _clear(client)
    response = post_webhook(receiver.url, event, raw)
    assert response.status_code < 500, (response.status_code, response.text[:300])
    # Every ticket in the queue names a waiting job that validates.
    if queued_jobs(client):
        assert response.status_code == 202
    _clear(client)


def test_deep_nesting_and_lone_surrogates_are_answered_without_a_server_error(receiver) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    assert post_webhook(receiver.url, "issues", deep).status_code == 400
    surrogate = json.dumps(
        variant("issues/labeled.json", **{"label.name": "\ud800", "installation": {"id": 7}})
    ).encode()
    assert post_webhook(receiver.url, "issues", surrogate).status_code in (200, 202)
