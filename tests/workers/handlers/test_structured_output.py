"""Structured output, opted into by the repository (`structured_output: true` in
.github/iquest.yml): the request asks the server for the edit format's JSON schema, the
reply comes back as that JSON, and the job ends in the same draft PR as the text form.

Real receiver, Redis and Celery worker, the fake GitHub, the scripted model as vLLM and as TGI
(which refuses OpenAI's json_schema form, so the request is resent without it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.model_profiles import TGI, VLLM
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    REPO,
    SHOWCASE,
    labeled,
    repo_files,
    seed_showcase,
    status_comment,
)
from workers.pipeline.edits import parse_response
from workers.pipeline.edits.json_form import EDIT_SCHEMA, to_json_reply


def _json_reply() -> str:
    """The showcase's answer in the JSON form."""
    text = parse_response((SHOWCASE / "model_response.md").read_text())
    return to_json_reply(text.root_cause, text.edits, "pytest tests/test_auth.py")


@pytest.fixture(params=[VLLM, TGI], ids=lambda p: p.name)
def model_server(request) -> Iterator[ScriptedModelServer]:
    server = ScriptedModelServer(profile=request.param).start()
    try:
        yield server
    finally:
        server.stop()
    server.verify()


@pytest.fixture
def showcase(fake_github):
    files = {**repo_files(), ".github/iquest.yml": "structured_output: true\n"}
    return seed_showcase(fake_github, files)


def test_a_json_reply_becomes_the_same_draft_pr(
    fake_github, model_server, showcase, receiver, worker
) -> None:
    model_server.script(ChatReply(_json_reply()))
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, showcase.number),
               timeout=90, what="the draft PR")
    [pull] = fake_github.pulls(REPO)
    branch = f"iquest/issue-{showcase.number}"
    assert "import secrets" in fake_github.repo(REPO).read_file(branch, "utils.py")
    assert "test_session_ids_are_unique" in fake_github.repo(REPO).read_file(
        branch, "tests/test_auth.py")
    assert "random" in fake_github.issue(REPO, pull.number).body  # the root cause

    first = model_server.chat_requests()[0].json
    assert first["response_format"]["json_schema"]["schema"] == EDIT_SCHEMA
    assert "Answer with one JSON object" in first["messages"][-1]["content"]
    if model_server.profile is TGI:
        # Refused by name (422), then resent with the next form, which TGI ignores.
        [refused, answered] = model_server.chat_requests()
        assert model_server.refusals == [(model_server.requests.index(refused), "response_format")]
        assert "response_format" not in answered.json and "guided_json" in answered.json
    else:
        assert len(model_server.chat_requests()) == 1
