"""Content-creating writes are spaced per installation, across clients, through Redis."""

from __future__ import annotations

import time

from workers.github.client import GitHubRepoClient
from workers.github.pacing import WritePacer
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens

FAST = CappedRetry(max_retries=1, base_seconds=0.01, max_wait_seconds=1)


def test_slots_are_spaced_per_installation(redis_client) -> None:
    first, second = WritePacer(redis_client, 1, 0.2), WritePacer(redis_client, 1, 0.2)
    other = WritePacer(redis_client, 2, 0.2)
    started = time.monotonic()
    waits = [first.wait_for_slot(), second.wait_for_slot(), first.wait_for_slot()]
    assert waits[0] == 0.0
    # Two pacers (two workers) share the installation's slots: each write waits its turn.
    assert 0 < waits[1] <= 0.2 and 0 < waits[2] <= 0.2
    assert time.monotonic() - started >= 0.35
    assert other.wait_for_slot() == 0.0  # another installation is not held up


def test_zero_interval_never_waits(redis_client) -> None:
    pacer = WritePacer(redis_client, 3, 0)
    assert [pacer.wait_for_slot() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_client_paces_comments_but_not_reads(fake_github, redis_client) -> None:
    fake_github.create_repo("octo/app", {"a.py": "x\n"})
    fake_github.add_installation(9, "octo")
    issue = fake_github.open_issue("octo/app", "t", "b")
    tokens = InstallationTokens(
        fake_github.app_id, fake_github.private_key, fake_github.url, redis_client, FAST
    )
    token = tokens.token_for(9, "app", {"issues": "write", "metadata": "read"})
    paced: list[str] = []
    client = GitHubRepoClient(
        "octo/app", token, fake_github.url, FAST, before_create=lambda: paced.append("slot")
    )
    client.list_issue_comments(issue.number)
    client.create_issue_comment(issue.number, "one")
    client.create_issue_comment(issue.number, "two")
    assert paced == ["slot", "slot"]
