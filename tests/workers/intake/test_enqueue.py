"""The hand-built Celery message matches what Celery itself publishes."""

from __future__ import annotations

import base64
import json

from celery import Celery

from workers.intake.enqueue import ENQUEUED_AT_HEADER, build_task_message


def test_message_has_the_shape_celery_publishes(redis_server, redis_client) -> None:
    app = Celery(broker=redis_server.url)
    app.conf.task_default_queue = "iquest"
    app.send_task("iquest.help", args=[{"a": 1}], task_id="t-1")
    reference = json.loads(redis_client.lpop("iquest"))
    ours = json.loads(build_task_message("iquest.help", "t-1", "iquest", [{"a": 1}]))
    assert set(ours) == set(reference)
    # Ours adds one header of its own: when the job was queued (queue-age metric).
    assert set(ours["headers"]) == set(reference["headers"]) | {ENQUEUED_AT_HEADER}
    assert set(ours["properties"]) == set(reference["properties"])
    for key in ("task", "id", "root_id", "lang", "retries", "timelimit"):
        assert ours["headers"][key] == reference["headers"][key]
    assert ours["properties"]["delivery_info"] == reference["properties"]["delivery_info"]
    assert base64.b64decode(ours["body"]) == base64.b64decode(reference["body"])


def test_hot_path_message_equals_the_dict_built_one() -> None:
    from workers.intake.enqueue import build_task_message_from_json

    args = [{"kind": "help", "n": 1, "text": 'quote " and \\ backslash'}]
    fast = json.loads(build_task_message_from_json("iquest.help", "t-2", "iquest", json.dumps(args)))
    slow = json.loads(build_task_message("iquest.help", "t-2", "iquest", args))
    for message in (fast, slow):
        message["properties"].pop("delivery_tag")
        message["headers"].pop(ENQUEUED_AT_HEADER)
    assert fast == slow
    assert json.loads(base64.b64decode(fast["body"]))[0] == args


def test_queue_stats_find_the_oldest_stamped_message(redis_server, redis_client) -> None:
    import asyncio
    import time

    import redis.asyncio as aioredis

    from workers.intake.enqueue import read_queue_stats

    async def stats():  # type: ignore[no-untyped-def]
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            return await read_queue_stats(client, "iquest")
        finally:
            await client.aclose()

    empty = asyncio.run(stats())
    assert (empty.depth, empty.oldest_enqueued_at) == (0, None)
    before = time.time()
    redis_client.lpush("iquest", build_task_message("iquest.help", "old", "iquest", [{}]))
    redis_client.lpush("iquest", build_task_message("iquest.help", "new", "iquest", [{}]))
    # A message Celery published itself (a retry) carries no stamp; it is looked past.
    app = Celery(broker=redis_server.url)
    app.conf.task_default_queue = "iquest"
    app.send_task("iquest.help", args=[{}], task_id="unstamped")
    redis_client.rpush("iquest", redis_client.lpop("iquest"))  # move it to the oldest end
    stats_now = asyncio.run(stats())
    assert stats_now.depth == 3
    oldest = json.loads(redis_client.lindex("iquest", -2))["headers"][ENQUEUED_AT_HEADER]
    assert stats_now.oldest_enqueued_at == oldest
    assert before - 1 <= oldest <= time.time()
