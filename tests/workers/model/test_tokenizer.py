import socket

import httpx
import pytest

from tests.fakes.model_server import ErrorReply, RawReply, ScriptedModelServer, count_fake_tokens
from workers.model.tokenizer import (
    EstimatingTokenizer,
    JobTokenCounts,
    VllmTokenizer,
    server_root,
)

TEXT = "def add(a, b):\n    return a + b  # sum\n"


@pytest.fixture
def server():
    with ScriptedModelServer() as running:
        yield running


def test_counts_come_from_the_server_root_not_v1(server):
    tokenizer = VllmTokenizer(server.base_url, "the-model")
    assert tokenizer.count_tokens(TEXT) == count_fake_tokens(TEXT)
    assert tokenizer.available is True
    [request] = server.requests
    assert request.path == "/tokenize"
    assert request.json == {"model": "the-model", "prompt": TEXT}
    tokenizer.close()


def test_a_server_without_tokenize_is_detected_once_then_estimated():
    with ScriptedModelServer(tokenize=False) as server:
        tokenizer = VllmTokenizer(server.base_url, "m")
        estimate = EstimatingTokenizer().count_tokens(TEXT)
        assert [tokenizer.count_tokens(TEXT) for _ in range(3)] == [estimate] * 3
        assert tokenizer.available is False
        assert len(server.requests) == 1


def test_a_404_means_absent():
    class NotFound(httpx.BaseTransport):
        def handle_request(self, request):
            return httpx.Response(404, json={"detail": "Not Found"})

    tokenizer = VllmTokenizer(
        "http://model:8000/v1", "m", client=httpx.Client(transport=NotFound())
    )
    assert tokenizer.count_tokens("abc") == 1
    assert tokenizer.available is False


def test_a_reply_of_the_wrong_shape_means_absent():
    class WrongShape(httpx.BaseTransport):
        def handle_request(self, request):
            return httpx.Response(200, json={"tokens": "many"})

    tokenizer = VllmTokenizer("http://model:8000", "m", client=httpx.Client(transport=WrongShape()))
    assert tokenizer.count_tokens("abcdef") == 2
    assert tokenizer.available is False


def test_transient_failures_fall_back_for_that_call_only():
    replies = iter([httpx.Response(503), httpx.Response(200, json={"count": 7, "tokens": [0] * 7})])

    class Flaky(httpx.BaseTransport):
        def handle_request(self, request):
            return next(replies)

    tokenizer = VllmTokenizer("http://model/v1", "m", client=httpx.Client(transport=Flaky()))
    assert tokenizer.count_tokens("x" * 30) == 10
    assert tokenizer.available is None
    assert tokenizer.count_tokens("x" * 30) == 7


def test_an_unreachable_server_is_estimated():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tokenizer = VllmTokenizer(f"http://127.0.0.1:{port}/v1", "m", timeout_seconds=2)
    assert tokenizer.count_tokens("hello world") == 4
    tokenizer.close()


def test_the_estimate_is_conservative_for_code_and_prose():
    estimate = EstimatingTokenizer()
    for text in [TEXT * 20, "The quick brown fox jumps over the lazy dog. " * 30, ""]:
        assert estimate.count_tokens(text) >= count_fake_tokens(text) * 0.9
    assert estimate.count_tokens("") == 0
    assert estimate.count_tokens("é") == 1
    with pytest.raises(ValueError):
        EstimatingTokenizer(0)


def test_server_root_strips_only_a_trailing_v1():
    assert server_root("http://h:8000/v1/") == "http://h:8000"
    assert server_root("https://api.example.com/openai") == "https://api.example.com/openai"


def test_unused_fake_replies_are_reported():
    server = ScriptedModelServer().start()
    server.script(ErrorReply(500), RawReply(b"{"))
    server.stop()
    with pytest.raises(AssertionError, match="never requested"):
        server.verify()


def test_a_job_counts_each_text_once(server):
    counts = JobTokenCounts(VllmTokenizer(server.base_url, "the-model"))
    assert [counts.count_tokens(t) for t in (TEXT, TEXT, "other", TEXT)] == [
        count_fake_tokens(TEXT), count_fake_tokens(TEXT), 1, count_fake_tokens(TEXT)
    ]
    assert sum(1 for r in server.requests if r.path == "/tokenize") == 2
