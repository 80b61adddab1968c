"""The hand-built Celery message matches what Celery itself publishes."""

from __future__ import annotations

import base64
import json

from celery import Celery

from workers.enqueue import build_task_message


def test_message_has_the_shape_celery_publishes(redis_server, redis_client) -> None:
    app = Celery(broker=redis_server.url)
    app.conf.task_default_queue = "iquest"
    app.send_task("iquest.help", args=[{"a": 1}], task_id="t-1")
    reference = json.loads(redis_client.lpop("iquest"))
    ours = json.loads(build_task_message("iquest.help", "t-1", "iquest", [{"a": 1}]))
    assert set(ours) == set(reference)
    assert set(ours["headers"]) == set(reference["headers"])
    assert set(ours["properties"]) == set(reference["properties"])
    for key in ("task", "id", "root_id", "lang", "retries", "timelimit"):
        assert ours["headers"][key] == reference["headers"][key]
    assert ours["properties"]["delivery_info"] == reference["properties"]["delivery_info"]
    assert base64.b64decode(ours["body"]) == base64.b64decode(reference["body"])


def test_hot_path_message_equals_the_dict_built_one() -> None:
    from workers.enqueue import build_task_message_from_json

    args = [{"kind": "help", "n": 1, "text": 'quote " and \\ backslash'}]
    fast = json.loads(build_task_message_from_json("iquest.help", "t-2", "iquest", json.dumps(args)))
    slow = json.loads(build_task_message("iquest.help", "t-2", "iquest", args))
    for message in (fast, slow):
        message["properties"].pop("delivery_tag")
    assert fast == slow
    assert json.loads(base64.b64decode(fast["body"]))[0] == args
