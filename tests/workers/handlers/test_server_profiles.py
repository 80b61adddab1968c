"""The showcase fix job (labelled issue -> draft PR through the fake GitHub) against every
model server profile: vLLM, SGLang, llama.cpp's server, Ollama's OpenAI API, TGI's Messages
API and a strict OpenAI-compatible proxy (tests/fakes/model_profiles.py).

Real receiver, Redis and Celery worker; the scripted model server in each profile.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.model_profiles import PROFILES
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import REPO, SHOWCASE, labeled, status_comment
from workers.model.capabilities import capability_key

# What each server teaches the adapter during one job (Redis capability hash, by field).
LEARNED = {
    "vllm": {b"tokenize": b"vllm", b"context_tokens": b"32768"},
    "sglang": {b"tokenize": b"vllm", b"context_tokens": b"32768"},
    "llama.cpp": {b"tokenize": b"llamacpp", b"context_tokens": b"unknown"},
    "ollama": {b"tokenize": b"none", b"context_tokens": b"unknown"},
    "tgi": {b"tokenize": b"tgi", b"context_tokens": b"unknown"},
    "strict-proxy": {b"tokenize": b"none", b"context_tokens": b"unknown"},
}


@pytest.fixture(params=sorted(PROFILES))
def model_server(request) -> Iterator[ScriptedModelServer]:
    server = ScriptedModelServer(profile=PROFILES[request.param]).start()
    try:
        yield server
    finally:
        server.stop()
    server.verify()


def test_the_showcase_fix_job_passes_against_every_server(
    fake_github, model_server, showcase, receiver, worker, redis_client
) -> None:
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text(),
                                  reasoning="PRIVATE-THOUGHT about the ids"))
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, showcase.number),
               timeout=90, what="the draft PR")

    [pull] = fake_github.pulls(REPO)
    assert pull.draft
    utils = fake_github.repo(REPO).read_file(f"iquest/issue-{showcase.number}", "utils.py")
    assert "import secrets" in utils and "random" not in utils
    # The reasoning, in whichever field the server puts it, stays out of the PR.
    assert "PRIVATE-THOUGHT" not in fake_github.issue(REPO, pull.number).body

    name = model_server.profile.name
    answered = [r for i, r in enumerate(model_server.requests)
                if r.path == "/v1/chat/completions" and i not in dict(model_server.refusals)]
    assert len(answered) == 1
    sent = answered[0].json
    # The model card's sampling, where the server takes it.
    assert (sent["temperature"], sent["top_p"]) == (0.6, 0.85)
    assert ("top_k" in sent) == (name != "strict-proxy")
    shared = redis_client.hgetall(capability_key(model_server.base_url, model_server.model))
    assert {k: shared.get(k) for k in LEARNED[name]} == LEARNED[name]
