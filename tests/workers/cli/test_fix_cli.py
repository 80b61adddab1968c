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


def _token_env(fake_github, model_server, redis_server, tmp_path, token: str, **extra) -> dict:
    env = worker_env(fake_github, redis_server.url, tmp_path / "data",
                     IQUEST_MODEL_BASE_URL=model_server.base_url, IQUEST_GITHUB_TOKEN=token,
                     **extra)
    for name in ("IQUEST_APP_ID", "IQUEST_PRIVATE_KEY", "IQUEST_REDIS_URL"):
        del env[name]
    return {k: v for k, v in env.items() if not k.startswith("GITHUB_")} | extra


def test_a_users_token_opens_the_draft_pr_as_that_user(
    fake_github, model_server, redis_server, tmp_path
) -> None:
    number = _seed(fake_github)
    fake_github.add_collaborator(REPO, "dana", "write")
    token = fake_github.user_token("dana")
    env = _token_env(fake_github, model_server, redis_server, tmp_path, token)
    result = _run([f"{REPO}#{number}", "--requested-by", "carol"], env)
    assert result.returncode == 1, result.stderr  # carol opened the issue but has no access
    assert "@carol's permission on the repository is none" in result.stderr and fake_github.pulls(REPO) == []

    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    result = _run([f"{REPO}#{number}", "--requested-by", "dana"], env)
    assert result.returncode == 0, result.stderr
    [pull] = fake_github.pulls(REPO)
    issue = fake_github.issue(REPO, pull.number)
    assert pull.draft and pull.head_ref == f"iquest/issue-{number}"
    assert issue.user.login == "dana"
    assert "Opened by `iquest fix` with the token of @dana" in issue.body
    # Plain token auth throughout: no App JWT, no installation token, no Redis.
    calls = fake_github.calls()
    assert {c.headers.get("authorization") for c in calls} == {f"token {token}"}
    assert fake_github.call_count("apps/create-installation-access-token") == 0
    assert fake_github.call_count("apps/get-repo-installation") == 0
    assert not (tmp_path / "data" / "redis").exists()
    fake_github.assert_clean()


def test_a_token_without_write_is_refused_before_any_write(
    fake_github, model_server, redis_server, tmp_path
) -> None:
    number = _seed(fake_github)
    fake_github.add_collaborator(REPO, "rita", "read")
    env = _token_env(fake_github, model_server, redis_server, tmp_path,
                     fake_github.user_token("rita"))
    result = _run([f"{REPO}#{number}"], env)
    assert result.returncode == 1
    assert "@rita has read access to acme/login-service" in result.stderr
    assert all(c.method == "GET" for c in fake_github.calls())
    assert fake_github.pulls(REPO) == []


def test_an_actions_token_says_it_is_the_workflows(
    fake_github, model_server, redis_server, tmp_path
) -> None:
    number = _seed(fake_github)
    # An installation token stands in for the run's GITHUB_TOKEN: GET /user answers 403.
    token = fake_github.installation_token(55)
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    env = _token_env(fake_github, model_server, redis_server, tmp_path, token,
                     GITHUB_ACTIONS="true", GITHUB_SERVER_URL="https://github.com",
                     GITHUB_REPOSITORY=REPO, GITHUB_RUN_ID="4242")
    result = _run([f"{REPO}#{number}"], env)
    assert result.returncode == 0, result.stderr
    [pull] = fake_github.pulls(REPO)
    body = fake_github.issue(REPO, pull.number).body
    assert "github-actions[bot]" in body
    assert "https://github.com/acme/login-service/actions/runs/4242" in body
    assert fake_github.call_count("apps/create-installation-access-token") == 0


def test_no_credentials_at_all_is_a_clear_error(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "IQUEST_DATA_DIR": str(tmp_path)}
    result = _run(["acme/x#1"], env)
    assert result.returncode == 2
    assert "IQUEST_GITHUB_TOKEN" in result.stderr
