"""The verified-fix scenario (two candidates, the first breaks an existing test) by webhook
against a strict OpenAI-compatible proxy: it refuses `top_k` and every other non-OpenAI field,
refuses `n > 1`, and has no /tokenize. The right candidate still wins, and once a field has
been refused no later request carries it.

Real receiver, Redis, Celery worker and bubblewrap sandbox, the fake GitHub, the scripted model
in the strict proxy's profile (tests/fakes/model_profiles.py STRICT_PROXY).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.model_profiles import STRICT_PROXY
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import REPO, labeled, status_comment
from tests.workers.handlers.test_verified_fix import BREAKS_LOGIN, GOOD
from workers.model.capabilities import capability_key


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    server = ScriptedModelServer(profile=STRICT_PROXY).start()
    try:
        yield server
    finally:
        server.stop()
    server.verify()


@pytest.fixture
def worker_settings(bwrap_sandbox) -> dict[str, str]:
    return {"IQUEST_SANDBOX": "bubblewrap", "IQUEST_CANDIDATES": "2"}


def test_the_right_candidate_wins_and_no_refused_field_is_sent_again(
    fake_github, model_server, showcase, receiver, worker, redis_client
) -> None:
    model_server.script(ChatReply(BREAKS_LOGIN), ChatReply(GOOD))
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, showcase.number),
               timeout=120, what="the draft PR")

    # The strict server refused top_k first, then n: each once, and never again after.
    refused = {name: position for position, name in reversed(model_server.refusals)}
    assert set(refused) == {"top_k", "n"}
    assert len(model_server.refusals) == 2
    for name, first in refused.items():
        later = [r for r in model_server.requests[first + 1:] if r.path == "/v1/chat/completions"]
        assert later and all(name not in r.json for r in later), name
    # The candidates came one request at a time, with the model card's accepted sampling.
    answered = [r.json for r in model_server.chat_requests()][2:]
    assert len(answered) == 2
    assert all((body["temperature"], body["top_p"]) == (0.6, 0.85) for body in answered)
    # No /tokenize: asked once, then estimated.
    assert sum(r.path == "/tokenize" for r in model_server.requests) == 1

    [pull] = fake_github.pulls(REPO)
    body = fake_github.issue(REPO, pull.number).body
    assert "Regressions: none" in body
    store = fake_github.repo(REPO).read_file(f"iquest/issue-{showcase.number}", "session_store.py")
    assert "save_new" in store and ".upper()" not in store

    # The lessons are in Redis for the other workers.
    shared = redis_client.hgetall(capability_key(model_server.base_url, model_server.model))
    assert shared[b"refused:top_k"] == b"1" and shared[b"refused:n"] == b"1"
    assert shared[b"tokenize"] == b"none"
