"""Shared by the many-repositories tests: labelled issues and what the bot said (workers: tests/support/worker.py)."""

from __future__ import annotations

import uuid

from tests.support.webhooks import post_webhook, repo_variant

FINAL_MARKS = ("No pull request", "🚫", "⏹️", "❌", "✅")


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
