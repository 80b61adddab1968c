"""The githubkit adapter reads check runs and their annotations back from the fake GitHub."""

from __future__ import annotations

import pytest

from workers.github.client import GitHubRepoClient
from workers.github.port import CheckAnnotation, GitHubError
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens
from workers.intake.jobs import JobKind
from workers.runtime import JOB_PERMISSIONS

REPO = "octo/app"
FAST = CappedRetry(max_retries=3, base_seconds=0.01, max_wait_seconds=5)


@pytest.fixture
def client(fake_github, redis_client) -> GitHubRepoClient:
    fake_github.create_repo(REPO, {"a.py": "x = 1\n"})
    fake_github.add_installation(9, "octo")
    tokens = InstallationTokens(
        fake_github.app_id, fake_github.private_key, fake_github.url, redis_client, FAST
    )
    # The CI follow-up's own token: checks read, nothing more about checks.
    permissions = JOB_PERMISSIONS[JobKind.CI_FOLLOWUP]
    return GitHubRepoClient(REPO, tokens.token_for(9, "app", permissions), fake_github.url, FAST,
                            own_login=tokens.app_login())


def _head(fake_github) -> str:
    return fake_github.refs(REPO)["refs/heads/main"]


def test_failed_run_with_its_report(fake_github, client) -> None:
    output = {"title": "2 tests failed", "summary": "pytest exited 1", "text": "E assert 1 == 2"}
    seeded = fake_github.add_check_run(REPO, _head(fake_github), "tests", output=output)
    run = client.get_check_run(seeded.id)
    assert (run.id, run.name, run.head_sha) == (seeded.id, "tests", _head(fake_github))
    assert (run.status, run.conclusion, run.app_slug) == ("completed", "failure", "github-actions")
    assert (run.title, run.summary, run.text) == ("2 tests failed", "pytest exited 1",
                                                  "E assert 1 == 2")
    assert run.html_url.endswith(f"/runs/{seeded.id}")


def test_run_without_output_reads_as_empty_text(fake_github, client) -> None:
    seeded = fake_github.add_check_run(REPO, _head(fake_github), "lint", status="in_progress")
    run = client.get_check_run(seeded.id)
    assert (run.status, run.conclusion, run.title, run.summary, run.text) == (
        "in_progress", None, "", "", "")
    assert client.list_check_run_annotations(seeded.id) == []


def test_annotations_in_order_across_pages(fake_github, client) -> None:
    annotations = [
        {"path": "a.py", "start_line": n, "end_line": n + 1, "annotation_level": "failure",
         "message": f"problem {n}", "title": "pytest"}
        for n in range(1, 106)
    ]
    annotations[0] = {"path": "a.py", "start_line": 1, "end_line": 1,
                      "annotation_level": "warning", "message": "unused import"}
    seeded = fake_github.add_check_run(REPO, _head(fake_github), "tests",
                                       output={"title": "t", "summary": "s",
                                               "annotations": annotations})
    got = client.list_check_run_annotations(seeded.id)
    assert len(got) == 105  # more than one page of 100
    assert got[0] == CheckAnnotation("a.py", 1, 1, "warning", "unused import")
    assert got[-1] == CheckAnnotation("a.py", 105, 106, "failure", "problem 105", "pytest")


def test_missing_check_run_is_a_plain_404(fake_github, client) -> None:
    with pytest.raises(GitHubError) as error:
        client.get_check_run(999_999)
    assert error.value.status == 404 and not error.value.transient
    fake_github.pop_failures()
