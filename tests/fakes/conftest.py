"""Fixtures of the fake GitHub's self-tests: a seeded repository and an installation client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from githubkit import GitHub

from tests.fakes.github import FakeGitHub
from tests.fakes.github_helpers import FILES, REPO, V, installation_client


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_installation(1, "octo")
    fake_github.create_repo(REPO, FILES)
    fake_github.add_collaborator(REPO, "alice", "write")
    return fake_github


@pytest.fixture
def gh(fake: FakeGitHub) -> Iterator[GitHub]:
    # Inside `with`, githubkit reuses one httpx client instead of building one (and an SSL
    # context, ~20 ms) per call.
    with installation_client(fake) as client:
        yield client


@pytest.fixture
def rest(gh: GitHub) -> Any:
    return gh.rest(V)
