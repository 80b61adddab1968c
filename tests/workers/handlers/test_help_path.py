"""`/iquest help services/billing`: the settings in force for that path, folder by folder."""

from __future__ import annotations

import pytest

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until
from workers.handlers.help import help_path

REPO = "acme/mono"
INSTALLATION_ID = 2626
FILES = {
    ".github/iquest.yml": "max_files: 3\ntest:\n  command: make test\ndeny_paths: ['secrets/*']\n",
    "services/billing/.iquest.yml": "test:\n  command: pytest -q\n  timeout: 120\ndeny_paths: ['migrations/*']\n",
    "services/search/.iquest.yml": "quotas:\n  jobs_per_day_per_user: 1\n",
    "services/billing/app.py": "x = 1\n",
}


@pytest.mark.parametrize(
    ("text", "path"),
    [("services/billing", "services/billing"), ("`/web/app.ts` please", "web/app.ts"),
     ("../etc", ""), ("", ""), ("a//b", "")],
)
def test_help_path_takes_a_plain_repository_path(text: str, path: str) -> None:
    assert help_path(text) == path


def _ask(fake_github, receiver, body: str) -> int:
    issue = fake_github.open_issue(REPO, "Settings?", "", user="alice")
    asking = fake_github.add_issue_comment(REPO, issue.number, body, user="alice")
    payload = repo_variant(
        "issue_comment/created.with-installation.json", REPO, INSTALLATION_ID,
        **{"issue.number": issue.number, "comment.id": asking.id, "comment.body": body,
           "comment.user.login": "alice", "sender.login": "alice"},
    )
    assert post_webhook(receiver.url, "issue_comment", payload).status_code == 202
    return issue.number


def _answer(fake_github, number: int) -> str:
    bots = [c.body for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    return bots[0] if bots else ""


def test_help_for_a_path_shows_the_nearest_folders_settings_over_the_roots(
    fake_github, receiver, worker
) -> None:
    fake_github.create_repo(REPO, FILES)
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    billing = _ask(fake_github, receiver, "/iquest help services/billing")
    search = _ask(fake_github, receiver, "/iquest help services/search/x.py")
    wait_until(lambda: _answer(fake_github, billing) and _answer(fake_github, search),
               timeout=60, what="both answers")
    answer = _answer(fake_github, billing)
    assert ".github/iquest.yml + services/billing/.iquest.yml, for services/billing" in answer
    assert "command: pytest -q" in answer and "timeout: 120" in answer
    assert "make test" not in answer
    assert "- secrets/*\n" in answer and "- services/billing/migrations/*\n" in answer
    assert "max_files: 3" in answer  # a repository-wide key: the root's
    other = _answer(fake_github, search)
    assert "command: make test" in other
    assert "`services/search/.iquest.yml` sets `quotas`, which only `.github/iquest.yml` can set" in other
