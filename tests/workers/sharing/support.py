"""Shared setup for the many-repositories tests: workers with their own settings, labelled issues."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import WorkerProcess, worker_env

FINAL_MARKS = ("No pull request", "🚫", "⏹️", "❌", "✅")


def start_worker(fake_github, model_server, redis_server, tmp_path: Path, name: str = "worker",
                 pool: str = "solo", concurrency: int = 1, **env: str) -> WorkerProcess:
    process = WorkerProcess(
        worker_env(
            fake_github, redis_server.url, tmp_path / "data",
            IQUEST_MODEL_BASE_URL=model_server.base_url,
            IQUEST_MODEL_CONTEXT_TOKENS="32768",
            **env,
        ),
        tmp_path / f"{name}.log",
        pool,
        concurrency,
    )
    process.wait_ready()
    return process


def label_issue(receiver, repo: str, installation_id: int, number: int, login: str = "alice") -> str:
    delivery = str(uuid.uuid4())
    payload = repo_variant(
        "issues/labeled.json", repo, installation_id,
        **{"label.name": "autofix", "issue.number": number, "sender.login": login},
    )
    assert post_webhook(receiver.url, "issues", payload, delivery).status_code == 202
    return delivery


def bot_comments(fake_github, repo: str, number: int) -> list[str]:
    return [c.body for c in fake_github.comments(repo, number) if c.user.type == "Bot"]


def bot_status(fake_github, repo: str, number: int) -> str:
    """The status comment's body ("" before there is one); refusals are replies of their own."""
    marked = [body for body in bot_comments(fake_github, repo, number) if "iquest:status" in body]
    return marked[0] if marked else ""


def is_final(body: str) -> bool:
    return any(mark in body for mark in FINAL_MARKS)


def status_writes(fake_github) -> list[str]:
    """Bodies of every status comment created or edited, in the order GitHub saw them."""
    created = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
    edited = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
    return [
        call.body["body"] for call in fake_github.calls()
        if f"{call.method} {call.template}" in (created, edited) and "iquest:status" in call.body["body"]
    ]
