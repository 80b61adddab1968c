"""`iquest fix OWNER/REPO#N [--dry-run]` against the fake GitHub and the scripted model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes.model_server import ChatReply
from tests.support.worker import worker_env

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"


def _seed(fake_github) -> int:
    root = SHOWCASE / "repo"
    files = {str(p.relative_to(root)): p.read_text() for p in root.rglob("*.py")}
    fake_github.create_repo(REPO, files)
    fake_github.add_installation(55, "acme")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return fake_github.open_issue(REPO, title, body, user="carol").number


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "fix", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_dry_run_prints_the_diff_and_publishes_nothing(
    fake_github, model_server, redis_server, redis_client, tmp_path
) -> None:
    number = _seed(fake_github)
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    env = worker_env(fake_github, redis_server.url, tmp_path / "data",
                     IQUEST_MODEL_BASE_URL=model_server.base_url)
    result = _run([f"{REPO}#{number}", "--dry-run"], env)
    assert result.returncode == 0, result.stderr
    assert "+import secrets" in result.stdout
    assert "--- a/utils.py" in result.stdout
    assert "asking the model" in result.stderr  # progress on the terminal
    assert fake_github.pulls(REPO) == []
    assert fake_github.comments(REPO, number) == []


def test_without_dry_run_opens_the_draft_pr(
    fake_github, model_server, redis_server, redis_client, tmp_path
) -> None:
    number = _seed(fake_github)
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    env = worker_env(fake_github, redis_server.url, tmp_path / "data",
                     IQUEST_MODEL_BASE_URL=model_server.base_url)
    result = _run([f"{REPO}#{number}"], env)
    assert result.returncode == 0, result.stderr
    [pull] = fake_github.pulls(REPO)
    assert pull.draft and pull.head_ref == f"iquest/issue-{number}"
    assert f"#{pull.number}" in result.stderr


def test_bad_target_is_a_clear_error(tmp_path) -> None:
    result = _run(["not-a-target"], {"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "OWNER/REPO#NUMBER" in result.stderr
