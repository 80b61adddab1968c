"""A repository whose tests import a package from the index: verified end to end by webhook.

Real receiver, Redis, Celery worker and bubblewrap sandbox, the fake GitHub, the scripted model.
The package (`tinydep`) is a wheel made here; the worker's builds use it from a local folder
(IQUEST_ENV_FIND_LINKS, IQUEST_ENV_NO_INDEX), so the scenario needs no network. Without the
test environment the baseline fails on `import tinydep`; with it the draft PR shows counts and a
reproducing test, and a second job reuses the environment.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook
from tests.support.wheels import make_wheel
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    INSTALLATION_ID,
    REPO,
    SHOWCASE,
    labeled,
    repo_files,
    seed_showcase,
    status_comment,
)

GOOD = (SHOWCASE / "model_response.md").read_text()
DEPENDENCY_TEST = "\n\ndef test_the_dependency_answers():\n    assert tinydep.answer() == 42\n"


@pytest.fixture
def worker_settings(bwrap_sandbox, tmp_path) -> dict[str, str]:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinydep", "1.0", {"tinydep/__init__.py": "def answer():\n    return 42\n"})
    return {
        "IQUEST_SANDBOX": "bubblewrap",
        "IQUEST_ENV_FIND_LINKS": str(wheels),
        "IQUEST_ENV_NO_INDEX": "true",
        "IQUEST_ENV_CACHE_DIR": str(tmp_path / "environments"),
    }


@pytest.fixture
def dependent_repo(fake_github):
    files = repo_files()
    files["requirements-test.txt"] = "tinydep\n"
    files["tests/test_auth.py"] = "import tinydep\n" + files["tests/test_auth.py"] + DEPENDENCY_TEST
    fake_github.create_repo(REPO, files)
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return title, body.strip()


def test_the_tests_run_in_the_built_environment_and_a_second_job_reuses_it(
    fake_github, model_server, dependent_repo, receiver, worker, tmp_path
) -> None:
    title, body = dependent_repo
    model_server.script(ChatReply(GOOD), ChatReply(GOOD))
    bodies = []
    for _ in range(2):
        issue = fake_github.open_issue(REPO, title, body, user="carol")
        assert post_webhook(receiver.url, "issues", labeled(issue.number)).status_code == 202
        wait_until(lambda n=issue.number: "Opened draft pull request" in status_comment(fake_github, n),
                   timeout=180, what="the draft PR")
        pull = next(p for p in fake_github.pulls(REPO) if p.head_ref == f"iquest/issue-{issue.number}")
        bodies.append(fake_github.issue(REPO, pull.number).body)
    first, second = bodies
    for text in bodies:
        assert "## Receipt" in text and "| Verdict | Verified: the tests ran in a sandbox" in text
        # The dependency's own test passes before and after: the package was there.
        assert "| Tests before → after | 4 passed, 1 failed → 5 passed, 0 failed |" in text
        reproducing = text.split("| Reproducing test |")[1].split("\n")[0]
        assert "`tests/test_auth.py::" in reproducing
        assert "`tests/test_auth.py::test_session_ids_are_unique_across_many_logins`" in text
    # The receipt's environment: key, built or reused, seconds.
    assert "| Environment | `" in first and "built in" in first.split("| Environment |")[1].split("\n")[0]
    assert "reused from the cache" in second.split("| Environment |")[1].split("\n")[0]
    [built] = [p for p in (tmp_path / "environments" / "envs").iterdir()]
    assert built.name[:12] in first and built.name[:12] in second


@pytest.fixture
def broken_repo(fake_github):
    files = repo_files()
    files["requirements-test.txt"] = "tinydep\nnot-on-any-index>=1\n"
    return seed_showcase(fake_github, files)


def test_a_build_that_fails_leaves_the_pr_unverified_with_the_reason(
    fake_github, model_server, broken_repo, receiver, worker
) -> None:
    model_server.script(ChatReply(GOOD))
    assert post_webhook(receiver.url, "issues", labeled(broken_repo.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, broken_repo.number),
               timeout=180, what="the draft PR")
    [pull] = fake_github.pulls(REPO)
    body = fake_github.issue(REPO, pull.number).body
    assert "- none: the test environment could not be built: " \
           "`uv pip install -r requirements-test.txt` failed:" in body
    assert "Not proven (tests not run: the test environment could not be built" in body
    assert "not-on-any-index" in body
    assert "| Tests before → after | not run |" in body
    [run] = fake_github.check_runs(REPO)
    assert run.conclusion == "neutral" and run.output["title"].startswith("Fix not proven (tests not run")
