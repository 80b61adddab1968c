"""The per-job model: shared slots around real calls, the token budget, the cancel check."""

from __future__ import annotations

import threading

import pytest

from tests.fakes.model_server import ChatReply, count_fake_tokens
from workers.model.gated import GatedModel, TokenBudgetExceeded
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ChatMessage, ModelError
from workers.model.slots import ModelSlots, SlotPolicy
from workers.scheduling.cancel_flags import CancelFlags, JobCancelled

MESSAGES = [ChatMessage("user", "fix the bug in utils.py")]


def _gated(model_server, redis_client, limit: int = 2, wait: float = 30.0, **kwargs) -> GatedModel:
    slots = ModelSlots(redis_client, SlotPolicy(limit=limit, lease_seconds=30, max_wait_seconds=wait))
    inner = OpenAICompatModel(model_server.base_url, model_server.model, max_retries=0)
    return GatedModel(inner, slots, **kwargs)


def test_concurrent_calls_through_the_port_never_exceed_the_cap(model_server, redis_client) -> None:
    model_server.script(*[ChatReply("ok", delay_seconds=0.1) for _ in range(6)])
    gated = [_gated(model_server, redis_client, limit=2) for _ in range(6)]
    threads = [threading.Thread(target=g.complete, args=(MESSAGES, 10)) for g in gated]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(model_server.chat_requests()) == 6
    assert model_server.max_in_flight == 2


def test_tokens_are_counted_from_the_replies_and_the_budget_stops_the_job(
    model_server, redis_client
) -> None:
    model_server.script(ChatReply("first answer"), ChatReply("second answer"))
    per_call = count_fake_tokens(MESSAGES[0].content) + 2
    model = _gated(model_server, redis_client, token_budget=2 * per_call)
    model.complete(MESSAGES, 10)
    model.complete(MESSAGES, 10)
    assert model.tokens_used == 2 * per_call
    with pytest.raises(TokenBudgetExceeded, match="budget of") as refused:
        model.complete(MESSAGES, 10)
    assert not refused.value.transient
    assert len(model_server.chat_requests()) == 2


def test_a_cancelled_job_makes_no_model_call(model_server, redis_client) -> None:
    flags = CancelFlags(redis_client)
    model = _gated(model_server, redis_client, before_call=flags.guard("job-1"))
    flags.cancel("job-1", "@alice asked me to stop.")
    with pytest.raises(JobCancelled, match="alice"):
        model.complete(MESSAGES, 10)
    assert model_server.chat_requests() == []


def test_a_wait_past_its_bound_is_a_transient_error(model_server, redis_client) -> None:
    slots = ModelSlots(redis_client, SlotPolicy(limit=1, lease_seconds=30, max_wait_seconds=0.2))
    slots.acquire()  # another worker's call that does not end in time
    waits: list[int] = []
    model = _gated(model_server, redis_client, limit=1, wait=0.2, on_wait=waits.append,
                   on_resume=lambda: waits.append(-1))
    with pytest.raises(ModelError, match="busy") as busy:
        model.complete(MESSAGES, 10)
    assert busy.value.transient  # the job is retried later by Celery
    assert waits == [0]
    assert model_server.chat_requests() == []


def test_a_call_that_waited_says_so_when_it_gets_its_slot(model_server, redis_client) -> None:
    model_server.script(ChatReply("ok"))
    slots = ModelSlots(redis_client, SlotPolicy(limit=1, lease_seconds=30, max_wait_seconds=10))
    other = slots.acquire()
    events: list[str] = []
    model = _gated(model_server, redis_client, limit=1,
                   on_wait=lambda ahead: (events.append("waiting"), slots.release(other)),
                   on_resume=lambda: events.append("resumed"))
    assert model.complete(MESSAGES, 10).text == "ok"
    assert events == ["waiting", "resumed"]


def test_a_call_that_never_waited_says_nothing(model_server, redis_client) -> None:
    model_server.script(ChatReply("ok"))
    events: list[str] = []
    model = _gated(model_server, redis_client, on_wait=lambda ahead: events.append("waiting"),
                   on_resume=lambda: events.append("resumed"))
    model.complete(MESSAGES, 10)
    assert events == []


def test_several_samples_in_one_request_hold_one_slot_and_count_once(
    model_server, redis_client
) -> None:
    model_server.script(ChatReply("first sample"), ChatReply("second sample"))
    model = _gated(model_server, redis_client, limit=1)
    replies = model.complete_many(MESSAGES, 10, 2)
    assert [r.text for r in replies] == ["first sample", "second sample"]
    [request] = model_server.chat_requests()
    assert request.json["n"] == 2
    assert model.tokens_used == sum(r.prompt_tokens + r.completion_tokens for r in replies) > 0
    # The slot came back: a single call right after gets it without waiting.
    model_server.script(ChatReply("third"))
    assert model.complete(MESSAGES, 10).text == "third"
