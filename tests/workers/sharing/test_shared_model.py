"""Many repositories, one model server: the cap on model calls across workers, fair turns,
follow-ups first, a killed worker's slot, quotas. Real receiver, Redis, Celery workers,
the fake GitHub and the scripted model server.
"""

from __future__ import annotations

import time

import pytest

from tests.fakes.model_server import ErrorReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import start_worker, wait_until
from tests.workers.handlers.calc_repo import BOT_BRANCH, INSTALLATION_ID, MAIN, REPO, open_bot_draft
from tests.workers.sharing.support import (
    bot_comments,
    bot_status,
    is_final,
    label_issue,
    status_writes,
)
from workers.model.slots import ModelSlots, SlotPolicy

# A refusal is the quickest whole job: one model call, then a final status.
REFUSAL = "prompt is longer than the context"


def _refusal(delay: float = 0.0) -> ErrorReply:
    return ErrorReply(400, REFUSAL, delay_seconds=delay)


def _repos(fake_github) -> dict[int, str]:
    repos = {101: "north/app", 202: "south/app", 303: "east/app"}
    for installation, repo in repos.items():
        fake_github.create_repo(repo, {"app.py": "def handler(event):\n    return event['id']\n"})
        fake_github.add_installation(installation, repo.split("/")[0])
        fake_github.add_collaborator(repo, "alice", "write")
    return repos


def test_twenty_jobs_from_three_installations_share_two_model_slots_in_turns(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path
) -> None:
    repos = _repos(fake_github)
    counts = {101: 10, 202: 6, 303: 4}
    issues = []
    for installation, count in counts.items():
        for i in range(count):
            issue = fake_github.open_issue(repos[installation], f"KeyError {i}", "handler crashes")
            issues.append((repos[installation], issue.number))
            label_issue(receiver, repos[installation], installation, issue.number)
    model_server.script(*[_refusal(delay=0.3) for _ in issues])
    # Four jobs at once in one worker, but only two model calls at once across all workers.
    worker = start_worker(fake_github, model_server, redis_server, tmp_path,
                          pool="threads", concurrency=4,
                          IQUEST_MODEL_MAX_CONCURRENCY="2")
    try:
        wait_until(lambda: all(is_final(bot_status(fake_github, r, n)) for r, n in issues),
                   timeout=240, what="every job's final status")
    finally:
        worker.stop()
    assert len(model_server.chat_requests()) == 20
    assert model_server.max_in_flight == 2
    assert redis_client.zcard("iquest:model:holders") == 0
    # Jobs that found both slots taken said so on GitHub, and took it back once they ran.
    writes = status_writes(fake_github)
    assert any("Waiting for the model" in body for body in writes)
    assert not any("Waiting for the model" in bot_status(fake_github, r, n) for r, n in issues)
    # Turns: the busiest installation queued all ten first, yet every installation is
    # among the first jobs to reach the model.
    first = [request.json["messages"][-1]["content"] for request in model_server.chat_requests()[:6]]
    for repo in repos.values():
        assert any(f"# Repository {repo}" in text or repo in text for text in first), repo


def _review_on_draft(fake_github, receiver, pull) -> None:
    review = fake_github.add_review(
        REPO, pull.number, user="alice", body="Not yet.", event="REQUEST_CHANGES",
        comments=[{"path": "calc.py", "line": 4, "body": "add still subtracts"}],
    )
    payload = repo_variant(
        "pull_request_review/submitted.json", REPO, INSTALLATION_ID,
        **{
            "pull_request.number": pull.number, "pull_request.head.ref": BOT_BRANCH,
            "review.id": review.id, "review.state": "changes_requested", "review.body": "Not yet.",
            "review.user.login": "alice", "review.author_association": "COLLABORATOR",
            "sender.login": "alice",
        },
    )
    assert post_webhook(receiver.url, "pull_request_review", payload).status_code == 202


def test_a_follow_up_queued_after_ten_new_issues_starts_first_and_waiting_jobs_show_their_place(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path
) -> None:
    pull = open_bot_draft(fake_github, MAIN.replace("helpers.", "helpers, fixed."), "add is broken",
                          "add(1, 2) is -1", collaborators=("alice",))
    issues = [fake_github.open_issue(REPO, f"Bug {i}", "mean crashes").number for i in range(10)]
    for number in issues:
        label_issue(receiver, REPO, INSTALLATION_ID, number)
    _review_on_draft(fake_github, receiver, pull)
    model_server.script(*[_refusal() for _ in range(11)])
    worker = start_worker(fake_github, model_server, redis_server, tmp_path)
    try:
        wait_until(lambda: all(is_final(bot_status(fake_github, REPO, n)) for n in [*issues, pull.number]),
                   timeout=180, what="every job's final status")
    finally:
        worker.stop()
    first_prompt = model_server.chat_requests()[0].json["messages"][-1]["content"]
    assert "add still subtracts" in first_prompt
    # Each waiting issue was told its place before it started; the last had all ten ahead.
    writes = status_writes(fake_github)
    last = f"iquest:status number={issues[-1]} "
    assert any(last in body and "10 jobs ahead of it in the queue" in body for body in writes)
    assert "ahead of it" not in bot_status(fake_github, REPO, issues[-1])
    # The follow-up's first real status came before any issue's "working".
    started = [body for body in writes if "⏳" in body or "🚫" in body or "❌" in body]
    assert f"number={pull.number} " in started[0]


def test_a_worker_killed_while_holding_a_slot_gives_it_back_within_the_lease(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path
) -> None:
    repos = _repos(fake_github)
    issue = fake_github.open_issue(repos[101], "KeyError", "handler crashes")
    model_server.script(_refusal(delay=8.0))
    lease = 2.0
    worker = start_worker(fake_github, model_server, redis_server, tmp_path,
                          IQUEST_MODEL_MAX_CONCURRENCY="1",
                          IQUEST_MODEL_SLOT_LEASE_SECONDS=str(lease))
    try:
        label_issue(receiver, repos[101], 101, issue.number)
        wait_until(lambda: model_server.in_flight == 1, timeout=60, what="the model call")
        assert redis_client.zcard("iquest:model:holders") == 1
        worker.kill()
        killed = time.monotonic()
        slots = ModelSlots(redis_client, SlotPolicy(limit=1, lease_seconds=lease, max_wait_seconds=30))
        slots.acquire()
        assert time.monotonic() - killed < lease + 1.5
    finally:
        worker.stop()


@pytest.mark.parametrize("limit_env", ["IQUEST_JOBS_PER_DAY_PER_USER", "IQUEST_JOBS_PER_DAY_PER_INSTALLATION"])
def test_over_quota_the_job_is_refused_politely_before_any_model_call(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path, limit_env
) -> None:
    repos = _repos(fake_github)
    first = fake_github.open_issue(repos[101], "KeyError", "handler crashes").number
    second = fake_github.open_issue(repos[101], "Another KeyError", "handler crashes again").number
    model_server.script(_refusal())
    worker = start_worker(fake_github, model_server, redis_server, tmp_path, **{limit_env: "1"})
    try:
        label_issue(receiver, repos[101], 101, first)
        wait_until(lambda: is_final(bot_status(fake_github, repos[101], first)), what="the first job")
        label_issue(receiver, repos[101], 101, second)
        wait_until(lambda: any("reached today's limit" in body
                               for body in bot_comments(fake_github, repos[101], second)),
                   what="the refusal")
    finally:
        worker.stop()
    # A reply of its own: the refused trigger starts no job, so no status comment either.
    comments = bot_comments(fake_github, repos[101], second)
    assert len(comments) == 1, comments
    [refusal] = comments
    assert "reached today's limit of 1 fix job" in refusal and "resets at 00:00 UTC" in refusal
    assert "iquest:status" not in refusal
    assert fake_github.reactions(repos[101], second) == []
    assert len(model_server.chat_requests()) == 1
