"""A model server that fails in every way: bounded retries, then a failed status, no branch left.

Real receiver, real Redis, a real Celery worker, the fake GitHub and the scripted model server.
The model call's timeout is cut to one second and the SDK retries once; the job's own retries
(15 s apart) are turned off here so each failure reaches its final status at once — their
backoff is tested in tests/workers/test_tasks.py.
"""

from __future__ import annotations

import json

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply, RawReply
from tests.support.worker import WorkerProcess, wait_until
from tests.workers.crash_flow import add_fix_reply, bot_comments, open_autofix_issue, seed_calc
from tests.workers.handlers.calc_repo import REPO
from workers.intake.messages import StatusState, render_status

# The first line of each final status, as the bot renders it.
FAILED = render_status(1, StatusState.FAILED, "j").splitlines()[1]
UNUSABLE = render_status(1, StatusState.REFUSED, "j").splitlines()[1]
SDK_ATTEMPTS = 2  # IQUEST_MODEL_MAX_RETRIES=1
WITH_REPAIR_ROUND = 2  # an unusable answer gets one repair round, with the problem shown


def _completion_bytes() -> bytes:
    return json.dumps({
        "id": "chatcmpl-cut", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": add_fix_reply().content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }).encode()


FULL = add_fix_reply().content
SCENARIOS: dict[str, list] = {
    "slow past the timeout": [ChatReply(FULL, delay_seconds=3)] * SDK_ATTEMPTS,
    "cut off mid-answer": [RawReply(_completion_bytes(), cut_after=120)] * SDK_ATTEMPTS,
    "out of tokens mid-answer": [ChatReply(FULL[: len(FULL) // 2], finish_reason="length")]
    * WITH_REPAIR_ROUND,
    "garbage": [RawReply(b"<html><body>502 Bad Gateway</body></html>",
                         content_type="text/html")],
    "empty": [ChatReply("")] * WITH_REPAIR_ROUND,
    "500": [ErrorReply(500, "engine crashed")] * SDK_ATTEMPTS,
}


@pytest.fixture
def impatient_worker(launch_worker) -> WorkerProcess:
    return launch_worker(IQUEST_MODEL_TIMEOUT_SECONDS="1", IQUEST_MODEL_MAX_RETRIES="1",
                         IQUEST_JOB_MAX_RETRIES="0")

def test_every_model_failure_ends_in_a_failed_status_after_bounded_retries_without_a_branch(
    fake_github, model_server, receiver, impatient_worker
) -> None:
    seed_calc(fake_github)
    outcomes = {}
    for name, replies in SCENARIOS.items():
        asked_before = len(model_server.chat_requests())
        model_server.script(*replies)
        number = open_autofix_issue(fake_github, receiver.url, f"add() subtracts ({name})")

        def settled(n: int = number) -> bool:
            bots = bot_comments(fake_github, n)
            return bool(bots) and "⏳" not in bots[0].body and "👀" not in bots[0].body

        wait_until(settled, timeout=60, what=f"a final status when the model is {name}")
        [comment] = bot_comments(fake_github, number)
        outcomes[name] = comment.body
        assert len(model_server.chat_requests()) - asked_before == len(replies), name
        assert not [r for r in fake_github.refs(REPO) if r.endswith(f"iquest/issue-{number}")]
        assert not fake_github.pulls(REPO)
    # Outages end as failures; an answer that arrived but holds no usable edit, even after
    # the repair round, ends as "no pull request this time", with why.
    unusable = {"out of tokens mid-answer", "empty"}
    for name, body in outcomes.items():
        assert "internal error" not in body, (name, body)
        if name in unusable:
            assert UNUSABLE in body and "No pull request this time" in body, (name, body)
        else:
            assert FAILED in body, (name, body)
