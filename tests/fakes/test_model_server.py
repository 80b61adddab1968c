import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fakes.model_server import (
    ChatReply,
    ErrorReply,
    RawReply,
    ScriptedModelServer,
    count_fake_tokens,
)

MESSAGES = [{"role": "user", "content": "Fix the bug"}]


def chat(server: ScriptedModelServer, timeout: float = 5.0, **extra) -> httpx.Response:
    body = {"model": server.model, "messages": MESSAGES, **extra}
    return httpx.post(server.base_url + "/chat/completions", json=body, timeout=timeout)


def test_scripted_replies_come_in_order_and_requests_are_recorded():
    with ScriptedModelServer() as server:
        server.script(
            ChatReply("first", reasoning="thinking"), ChatReply("second", finish_reason="length")
        )
        one, two = chat(server).json(), chat(server, temperature=0.6).json()
        assert one["choices"][0]["message"] == {
            "role": "assistant",
            "content": "first",
            "reasoning_content": "thinking",
        }
        assert two["choices"][0]["finish_reason"] == "length"
        assert one["usage"]["prompt_tokens"] == count_fake_tokens("Fix the bug")
        assert [r.json.get("temperature") for r in server.chat_requests()] == [None, 0.6]


def test_a_held_reply_waits_for_the_test_to_release_it():
    gate = threading.Event()
    with ScriptedModelServer() as server:
        server.script(ChatReply("held", hold=gate))
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(chat, server)
            deadline = time.monotonic() + 5
            while not server.chat_requests():  # the request arrived and is being held
                assert time.monotonic() < deadline, "the request never arrived"
                time.sleep(0.01)
            assert not pending.done()
            gate.set()
            assert pending.result(timeout=5).json()["choices"][0]["message"]["content"] == "held"


def test_models_are_listed():
    with ScriptedModelServer(model="m1") as server:
        listed = httpx.get(server.base_url + "/models").json()
        assert [m["id"] for m in listed["data"]] == ["m1"]


def test_streaming_sends_chunks_then_done():
    with ScriptedModelServer() as server:
        server.script(ChatReply("two words", reasoning="hmm"))
        response = chat(server, stream=True)
        events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        deltas = [json.loads(e)["choices"][0]["delta"] for e in events[:-1]]
        assert "".join(d.get("content", "") for d in deltas) == "two words"
        assert deltas[0]["reasoning_content"] == "hmm"
        assert json.loads(events[-2])["choices"][0]["finish_reason"] == "stop"


def test_errors_malformed_and_slow_replies_are_served_as_scripted():
    with ScriptedModelServer() as server:
        server.script(
            ErrorReply(429, "slow down", headers={"Retry-After": "3"}),
            RawReply(b'{"choices": [', status=200),
            ChatReply("late", delay_seconds=0.5),
        )
        limited = chat(server)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert limited.json()["error"]["message"] == "slow down"
        with pytest.raises(json.JSONDecodeError):
            chat(server).json()
        with pytest.raises(httpx.ReadTimeout):
            chat(server, timeout=0.1)


def test_tokenize_counts_or_is_absent():
    with ScriptedModelServer() as server:
        reply = httpx.post(
            server.root_url + "/tokenize", json={"model": "m", "prompt": "a b."}
        ).json()
        assert reply["count"] == 3 and len(reply["tokens"]) == 3
    with ScriptedModelServer(tokenize=False) as server:
        assert httpx.post(server.root_url + "/tokenize", json={"prompt": "a"}).status_code == 404


def test_unscripted_requests_get_500_and_fail_the_test():
    server = ScriptedModelServer().start()
    try:
        assert chat(server).status_code == 500  # nothing scripted
        assert httpx.get(server.root_url + "/v1/embeddings").status_code == 500
        bad = httpx.post(server.base_url + "/chat/completions", json={"messages": []})
        assert bad.status_code == 500
    finally:
        server.stop()
    assert len(server.problems) == 3
    with pytest.raises(AssertionError, match="unscripted request GET /v1/embeddings"):
        server.verify()


def test_leaving_the_block_verifies():
    with pytest.raises(AssertionError, match="never requested"), ScriptedModelServer() as server:
        server.script(ChatReply("unused"))


def _settled(server: ScriptedModelServer) -> None:
    """The server counts a call out after its answer is sent, so the client may return first."""
    deadline = time.monotonic() + 30
    while server.in_flight:
        assert time.monotonic() < deadline, "a finished call is still counted in flight"
        time.sleep(0.01)


def test_calls_in_flight_are_counted_with_the_most_at_once():
    with ScriptedModelServer() as server:
        # Held until all three are in: they overlap however slowly the threads start.
        answer = threading.Event()
        server.script(*[ChatReply("ok", hold=answer) for _ in range(3)])
        threads = [threading.Thread(target=chat, args=(server, 60.0)) for _ in range(3)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        try:
            while server.in_flight < 3:
                assert time.monotonic() < deadline, "three calls never overlapped"
                time.sleep(0.01)
        finally:
            answer.set()
        for thread in threads:
            thread.join(timeout=30)
        _settled(server)
        assert (server.in_flight, server.max_in_flight) == (0, 3)
        server.script(ErrorReply(500))
        chat(server)
        _settled(server)
        assert (server.in_flight, server.max_in_flight) == (0, 3)


def test_profiles_answer_models_and_tokenize_in_their_servers_shapes() -> None:
    from tests.fakes.model_profiles import LLAMACPP, OLLAMA, TGI, VLLM

    with ScriptedModelServer(profile=VLLM) as server:
        [entry] = httpx.get(server.base_url + "/models").json()["data"]
        assert entry["max_model_len"] == 32768 and entry["owned_by"] == "vllm"
        assert httpx.post(server.root_url + "/tokenize",
                          json={"model": server.model, "prompt": "a b"}).json()["count"] == 2
    with ScriptedModelServer(profile=LLAMACPP) as server:
        [entry] = httpx.get(server.base_url + "/models").json()["data"]
        assert "max_model_len" not in entry and entry["meta"]["n_ctx_train"] > 0
        assert httpx.post(server.root_url + "/tokenize", json={"content": "a b"}).json() == {
            "tokens": [0, 1]}
        assert httpx.post(server.root_url + "/tokenize", json={"prompt": "a b"}).json() == {
            "tokens": []}
    with ScriptedModelServer(profile=TGI) as server:
        info = httpx.get(server.base_url + "/models").json()
        assert info["id"] == server.model and "data" not in info
        assert len(httpx.post(server.root_url + "/tokenize", json={"inputs": "a b"}).json()) == 2
        assert httpx.post(server.root_url + "/tokenize", json={"prompt": "x"}).status_code == 422
    with ScriptedModelServer(profile=OLLAMA) as server:
        assert httpx.get(server.base_url + "/models").json()["data"][0]["owned_by"] == "library"
        missing = httpx.post(server.root_url + "/tokenize", json={"prompt": "x"})
        assert missing.status_code == 404 and missing.text == "404 page not found"


def test_profiles_refuse_in_their_servers_words() -> None:
    from tests.fakes.model_profiles import LLAMACPP, STRICT_PROXY, VLLM
    from tests.fakes.model_server import DEFAULT_MODEL

    body = {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "x"}]}
    with ScriptedModelServer(profile=STRICT_PROXY) as server:
        refused = httpx.post(server.base_url + "/chat/completions", json={**body, "top_k": 20})
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == "Unrecognized request argument supplied: top_k"
        n = httpx.post(server.base_url + "/chat/completions", json={**body, "n": 2})
        assert n.status_code == 400 and "does not support parameters: ['n']" in n.text
        assert server.refusals == [(0, "top_k"), (1, "n")]
    with ScriptedModelServer(profile=LLAMACPP) as server:
        n = httpx.post(server.base_url + "/chat/completions", json={**body, "n": 2})
        assert n.json()["error"]["message"] == "Only one completion choice is allowed"
    with ScriptedModelServer(profile=VLLM) as server:
        other = httpx.post(server.base_url + "/chat/completions", json={**body, "model": "x"})
        assert other.status_code == 404 and other.json()["message"] == "The model `x` does not exist."
