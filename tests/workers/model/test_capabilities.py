"""Capabilities learned by one worker reach the others through Redis; Redis down keeps local ones."""

from __future__ import annotations

import redis

from tests.fakes.model_profiles import STRICT_PROXY
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from workers.model.capabilities import ServerCapabilities, capability_key
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ChatMessage

MESSAGES = [ChatMessage("user", "fix it")]


def test_a_second_worker_never_sends_what_the_first_saw_refused(redis_client) -> None:
    with ScriptedModelServer(profile=STRICT_PROXY) as server:
        server.script(ChatReply("one"), ChatReply("two"))
        first = OpenAICompatModel(server.base_url, server.model, max_retries=0,
                                  capabilities=ServerCapabilities(server.base_url, server.model,
                                                                  redis_client))
        # Built before the lesson, as a worker that started earlier would be.
        second = OpenAICompatModel(server.base_url, server.model, max_retries=0,
                                   capabilities=ServerCapabilities(server.base_url, server.model,
                                                                   redis_client))
        assert first.complete(MESSAGES, max_tokens=5).text == "one"
        assert second.complete(MESSAGES, max_tokens=5).text == "two"
        bodies = [r.json for r in server.chat_requests()]
        assert ["top_k" in b for b in bodies] == [True, False, False]
        assert server.refusals == [(0, "top_k")]


def test_the_store_is_per_server_and_model(redis_client) -> None:
    a = ServerCapabilities("http://a/v1", "m", redis_client)
    a.refuse("top_k")
    assert ServerCapabilities("http://a/v1/", "m", redis_client).refused() == {"top_k"}
    assert ServerCapabilities("http://b/v1", "m", redis_client).refused() == frozenset()
    assert ServerCapabilities("http://a/v1", "other", redis_client).refused() == frozenset()
    assert redis_client.ttl(capability_key("http://a/v1", "m")) > 0


def test_redis_down_keeps_the_local_lessons() -> None:
    gone = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2)
    capabilities = ServerCapabilities("http://a/v1", "m", gone)
    capabilities.refuse("n")
    capabilities.refresh()
    assert capabilities.refused() == {"n"}
