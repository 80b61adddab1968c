"""What the fake GitHub's self-tests share: the seeded repository, clients and fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from githubkit import AppInstallationAuthStrategy, GitHub
from githubkit.exception import GitHubException, RequestFailed

from tests.fakes.github import FakeGitHub

V = "2022-11-28"
HEADERS = {"X-GitHub-Api-Version": V}
REPO = "octo/svc"
FILES = {
    "auth.py": "from utils import generate_session_id\n\n\ndef login(user):\n"
               "    return generate_session_id()\n",
    "session_store.py": "SESSIONS = {}\n",
    "utils.py": "".join(f"# line {n}\n" for n in range(1, 21))
                + "import random\n\n\ndef generate_session_id():\n"
                  "    return ''.join(random.choices('abc', k=8))\n",
}


def installation_client(fake: FakeGitHub, installation_id: int = 1, *, auto_retry: bool = True,
                        **scope) -> GitHub:
    strategy = AppInstallationAuthStrategy(fake.app_id, fake.private_key, installation_id, **scope)
    return GitHub(strategy, base_url=fake.url, auto_retry=auto_retry)


def status_of(call: Callable[[], object]) -> int:
    """The status of the error a githubkit call raises (token errors come wrapped)."""
    with pytest.raises(GitHubException) as info:
        call()
    exc: BaseException | None = info.value
    while exc is not None and not isinstance(exc, RequestFailed):
        exc = exc.__cause__
    assert exc is not None, info.value
    return exc.response.status_code
