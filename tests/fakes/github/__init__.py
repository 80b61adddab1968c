"""A strict, stateful fake of GitHub's REST API (2022-11-28) for tests; see fixtures.py.

Usage (the `fake_github` fixture yields a started FakeGitHub)::

    fake_github.add_installation(1, "octo")
    fake_github.create_repo("octo/svc", {"auth.py": "..."})
    fake_github.open_issue("octo/svc", "Session ids collide", labels=["autofix"])
    gh = GitHub(AppInstallationAuthStrategy(fake_github.app_id, fake_github.private_key, 1),
                base_url=fake_github.url)
    ...
    assert fake_github.call_count("pulls/create") == 1
    assert fake_github.repo("octo/svc").read_file("iquest/issue-1", "utils.py") == "..."

Every request and response is checked against GitHub's OpenAPI description; anything GitHub
would refuse (and every unknown route) is answered like GitHub and recorded, and the fixture's
teardown raises it through `assert_clean()`. Tests that provoke failures on purpose take them
with `pop_failures()`.
"""

from .dispatch import API_VERSION, Call
from .fake import FakeGitHub
from .faults import Fault
from .spec import Spec, load_spec

__all__ = ["API_VERSION", "Call", "FakeGitHub", "Fault", "Spec", "load_spec"]
