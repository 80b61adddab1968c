"""The OpenAI-compatible adapter against the scripted server, through the real openai SDK."""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply, RawReply
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ChatMessage, ModelError, strip_reasoning

MESSAGES = [ChatMessage("system", "be careful"), ChatMessage("user", "fix it")]


def _model(server, **kwargs) -> OpenAICompatModel:
    return OpenAICompatModel(server.base_url, server.model, max_retries=0, **kwargs)


def test_sampling_follows_the_model_card(model_server) -> None:
    model_server.script(ChatReply("## Root cause\nx"))
    reply = _model(model_server).complete(MESSAGES, max_tokens=100)
    assert reply.text == "## Root cause\nx"
    sent = model_server.chat_requests()[0].json
    assert (sent["temperature"], sent["top_p"], sent["top_k"], sent["max_tokens"]) == (0.6, 0.85, 20, 100)
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_reasoning_is_kept_out_of_the_answer(model_server) -> None:
    model_server.script(
        ChatReply("<think>\nmaybe edit utils.py\n</think>\nanswer", reasoning="server-side thoughts")
    )
    reply = _model(model_server).complete(MESSAGES, max_tokens=100)
    assert reply.text == "answer"
    assert "server-side thoughts" in reply.reasoning and "maybe edit utils.py" in reply.reasoning


def test_server_rejecting_top_k_still_works(model_server) -> None:
    model_server.script(ErrorReply(400, "Unrecognized request argument supplied: top_k"), ChatReply("ok"))
    model = _model(model_server)
    assert model.complete(MESSAGES, max_tokens=10).text == "ok"
    first, second = model_server.chat_requests()
    assert "top_k" in first.json and "top_k" not in second.json


def test_other_refusals_are_permanent_and_outages_transient(model_server) -> None:
    model_server.script(ErrorReply(400, "prompt too long"), ErrorReply(503, "loading"))
    model = _model(model_server)
    with pytest.raises(ModelError) as refused:
        model.complete(MESSAGES, max_tokens=10)
    assert not refused.value.transient and "prompt too long" in str(refused.value)
    with pytest.raises(ModelError) as outage:
        model.complete(MESSAGES, max_tokens=10)
    assert outage.value.transient


def test_unreachable_server_is_transient() -> None:
    model = OpenAICompatModel("http://127.0.0.1:9/v1", "m", max_retries=0, timeout_seconds=2)
    with pytest.raises(ModelError) as error:
        model.complete(MESSAGES, max_tokens=10)
    assert error.value.transient


def test_truncated_reply_is_flagged(model_server) -> None:
    model_server.script(ChatReply("half an answ", finish_reason="length"))
    assert _model(model_server).complete(MESSAGES, max_tokens=5).truncated


def test_malformed_body_is_an_error(model_server) -> None:
    model_server.script(RawReply(b"not json"))
    with pytest.raises(ModelError):
        _model(model_server).complete(MESSAGES, max_tokens=5)


def test_an_html_page_answered_200_is_a_transient_error_not_a_crash(model_server) -> None:
    # The SDK returns a non-JSON 200 as a plain string rather than raising.
    model_server.script(RawReply(b"<html>502 Bad Gateway</html>", content_type="text/html"))
    with pytest.raises(ModelError) as error:
        _model(model_server).complete(MESSAGES, max_tokens=5)
    assert error.value.transient and "unreadable" in str(error.value)


@pytest.mark.parametrize(
    ("content", "answer", "reasoning"),
    [
        ("plain", "plain", ""),
        ("<think>\na\n</think>\nb", "b", "a"),
        ("a\n</think>\nb", "\nb", "a"),
        ("b\n<think>\ncut off", "b\n", "cut off"),
        ("prose mentions <think> inline", "prose mentions <think> inline", ""),
    ],
)
def test_strip_reasoning(content: str, answer: str, reasoning: str) -> None:
    assert strip_reasoning(content) == (answer, reasoning)


def test_a_refusal_naming_the_field_only_in_param_still_drops_it(model_server) -> None:
    body = b'{"error": {"message": "Invalid request", "type": "invalid_request_error", "param": "top_k"}}'
    model_server.script(RawReply(body, status=400), ChatReply("ok"))
    model = _model(model_server)
    assert model.complete(MESSAGES, max_tokens=10).text == "ok"
    first, second = model_server.chat_requests()
    assert "top_k" in first.json and "top_k" not in second.json
    assert model.capabilities.refused() == {"top_k"}


def test_a_refusal_of_something_else_is_not_retried(model_server) -> None:
    model_server.script(ErrorReply(400, "This model's maximum context length is 32768 tokens"))
    with pytest.raises(ModelError):
        _model(model_server).complete(MESSAGES, max_tokens=10)
    assert len(model_server.chat_requests()) == 1


def test_a_refusal_naming_nothing_is_resent_without_the_non_openai_fields(model_server) -> None:
    model_server.script(ErrorReply(400, "invalid request"), ChatReply("ok"), ChatReply("again"))
    model = _model(model_server)
    assert model.complete(MESSAGES, max_tokens=10).text == "ok"
    assert model.complete(MESSAGES, max_tokens=10).text == "again"
    bodies = [r.json for r in model_server.chat_requests()]
    assert ["top_k" in b for b in bodies] == [True, False, False]
    assert bodies[1]["temperature"] == 0.6  # OpenAI's own fields stay
    assert model.capabilities.refused() == {"top_k"}


def test_a_nameless_refusal_that_persists_is_the_first_error(model_server) -> None:
    model_server.script(ErrorReply(400, "invalid request"), ErrorReply(400, "still invalid"))
    with pytest.raises(ModelError, match="invalid request"):
        _model(model_server).complete(MESSAGES, max_tokens=10)
    assert len(model_server.chat_requests()) == 2
