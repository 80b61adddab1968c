"""The adapters against each server profile, one piece at a time: sampling fields, `n`,
/tokenize dialects, the context length and reasoning fields."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.model_profiles import LLAMACPP, OLLAMA, PROFILES, STRICT_PROXY, TGI, VLLM
from tests.fakes.model_server import ChatReply, ScriptedModelServer, count_fake_tokens
from workers.config import Settings
from workers.model.capabilities import ServerCapabilities
from workers.model.from_settings import context_tokens_from_settings
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ChatMessage
from workers.model.tokenizer import EstimatingTokenizer, VllmTokenizer

MESSAGES = [ChatMessage("user", "fix it")]
TEXT = "def add(a, b):\n    return a + b\n"


def _model(server: ScriptedModelServer) -> OpenAICompatModel:
    return OpenAICompatModel(server.base_url, server.model, max_retries=0)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_two_samples_arrive_whatever_the_server_does_with_n(name: str) -> None:
    profile = PROFILES[name]
    with ScriptedModelServer(profile=profile) as server:
        server.script(ChatReply("a", reasoning="thinking a"), ChatReply("b"))
        model = _model(server)
        replies = model.complete_many(MESSAGES, 10, 2)
        while len(replies) < 2:
            replies.append(model.complete(MESSAGES, 10))
        assert [r.text for r in replies] == ["a", "b"]
        assert replies[0].reasoning == "thinking a"
        # A second job asks with n only where n works, and never with a refused field again.
        server.script(ChatReply("c"), ChatReply("d"))
        again = model.complete_many(MESSAGES, 10, 2)
        assert len(again) == (2 if profile.n_mode == "choices" else 0)
        while len(again) < 2:
            again.append(model.complete(MESSAGES, 10))
        refused = {field for _, field in server.refusals}
        last = server.chat_requests()[-1].json
        assert not refused & set(last)


@pytest.mark.parametrize(("profile", "dialect"), [
    (VLLM, "vllm"), (LLAMACPP, "llamacpp"), (TGI, "tgi"), (OLLAMA, None), (STRICT_PROXY, None),
])
def test_tokenize_is_found_in_each_dialect_or_estimated(profile, dialect) -> None:
    with ScriptedModelServer(profile=profile) as server:
        capabilities = ServerCapabilities(server.base_url, server.model)
        tokenizer = VllmTokenizer(server.base_url, server.model, capabilities=capabilities)
        expected = count_fake_tokens(TEXT) if dialect else EstimatingTokenizer().count_tokens(TEXT)
        assert tokenizer.count_tokens(TEXT) == expected
        probes = len(server.requests)
        assert tokenizer.count_tokens(TEXT) == expected
        # The dialect (or its absence) is known now: one request per count, or none.
        assert len(server.requests) - probes == (1 if dialect else 0)
        assert capabilities.get("tokenize") == (dialect or "none")
        # A new adapter sharing the capabilities starts with the dialect.
        assert VllmTokenizer(server.base_url, server.model,
                             capabilities=capabilities).dialect == dialect


def _settings(server: ScriptedModelServer, context: int) -> Settings:
    return Settings(_env_file=None, model_base_url=server.base_url, model=server.model,
                    model_context_tokens=context)


def test_the_context_length_comes_from_v1_models_when_the_server_says(caplog) -> None:
    with ScriptedModelServer(profile=VLLM) as server:
        capabilities = ServerCapabilities(server.base_url, server.model)
        assert context_tokens_from_settings(_settings(server, 131072), capabilities) == 32768
        # An operator's lower setting wins.
        assert context_tokens_from_settings(_settings(server, 8192), capabilities) == 8192
        assert sum(r.path == "/v1/models" for r in server.requests) == 1


@pytest.mark.parametrize("profile", [LLAMACPP, OLLAMA, TGI, STRICT_PROXY])
def test_without_a_length_the_setting_is_used_and_named(profile, caplog) -> None:
    with ScriptedModelServer(profile=profile) as server, caplog.at_level(
        logging.WARNING, logger="iquest.model"
    ):
        assert context_tokens_from_settings(
            _settings(server, 16384), ServerCapabilities(server.base_url, server.model)
        ) == 16384
    assert "IQUEST_MODEL_CONTEXT_TOKENS=16384" in caplog.text


def test_a_strict_server_that_names_nothing_still_gets_its_samples() -> None:
    from dataclasses import replace

    nameless = replace(STRICT_PROXY, refusal=lambda name: (400, {"error": {"message": "Bad Request"}}),
                       n_refusal=(400, {"error": {"message": "Bad Request"}}))
    with ScriptedModelServer(profile=nameless) as server:
        server.script(ChatReply("a"), ChatReply("b"), ChatReply("c"))
        model = _model(server)
        replies = model.complete_many(MESSAGES, 10, 2)
        while len(replies) < 2:
            replies.append(model.complete(MESSAGES, 10))
        assert [r.text for r in replies] == ["a", "b"]
        assert model.capabilities.refused() == {"top_k", "n"}
        assert model.complete_many(MESSAGES, 10, 2) == []
        assert model.complete(MESSAGES, 10).text == "c"
        answered = server.chat_requests()[3:]
        assert all("top_k" not in r.json and "n" not in r.json for r in answered)
