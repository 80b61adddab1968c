"""Webhook payloads about what people did with a fix: merges, closes, pushes, reverts.

`pull_request` deliveries start from the real `pull_request/closed.json`; `push` deliveries
are built in GitHub's documented shape (ref, repository.default_branch, commits[].message,
head_commit.timestamp), since no captured push payload is in tests/data.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.webhooks import repo_variant


def pull_closed(repo: str, installation: int, number: int, branch: str, *, merged: bool,
                merge_sha: str = "", at: str = "2026-12-08T12:00:00Z") -> dict[str, Any]:
    return repo_variant(
        "pull_request/closed.json", repo, installation,
        **{
            "action": "closed", "number": number, "pull_request.number": number,
            "pull_request.head.ref": branch, "pull_request.merged": merged,
            "pull_request.merged_at": at if merged else None, "pull_request.closed_at": at,
            "pull_request.merge_commit_sha": merge_sha or None, "sender.login": "alice",
            "sender.type": "User",
        },
    )


def push(repo: str, installation: int, branch: str, messages: list[str], *,
         default_branch: str = "main", at: str = "2026-12-08T10:00:00Z") -> dict[str, Any]:
    owner, name = repo.split("/")
    commits = [
        {"id": uuid.uuid4().hex + uuid.uuid4().hex[:8], "message": message, "timestamp": at,
         "author": {"name": "Alice", "email": "alice@example.com", "username": "alice"}}
        for message in messages
    ]
    return {
        "ref": f"refs/heads/{branch}", "before": "0" * 40, "after": commits[-1]["id"],
        "created": False, "deleted": False, "forced": False,
        "repository": {"full_name": repo, "name": name, "owner": {"login": owner},
                       "default_branch": default_branch},
        "installation": {"id": installation},
        "pusher": {"name": "alice"}, "sender": {"login": "alice", "type": "User"},
        "commits": commits, "head_commit": commits[-1],
    }
