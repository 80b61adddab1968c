"""Fixtures of the handler tests."""

from __future__ import annotations

import pytest

from tests.workers.handlers.showcase_repo import INSTALLATION_ID, REPO, SHOWCASE, repo_files


@pytest.fixture
def showcase(fake_github):
    fake_github.create_repo(REPO, repo_files())
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return fake_github.open_issue(REPO, title, body.strip(), user="carol")
