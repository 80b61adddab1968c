"""The showcase repository (session ids from `random`) on the fake GitHub, shared by its flows."""

from __future__ import annotations

from pathlib import Path

from tests.support.webhooks import repo_variant

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"
INSTALLATION_ID = 777


def repo_files() -> dict[str, str]:
    root = SHOWCASE / "repo"
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def seed_showcase(fake_github, files: dict[str, str] | None = None):
    """The showcase repository (or `files` in its place), installed, with alice as maintainer,
    and its issue opened by carol; returns the issue."""
    fake_github.create_repo(REPO, repo_files() if files is None else files)
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return fake_github.open_issue(REPO, title, body.strip(), user="carol")


def labeled(number: int) -> dict:
    return repo_variant(
        "issues/labeled.json",
        REPO,
        INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": number, "sender.login": "alice"},
    )


def status_comment(fake_github, number: int) -> str:
    bots = [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    return bots[0].body if bots else ""
