"""`iquest eval mine`: instances from a repository's own merged fixes (see workers/evaluation/mine.py)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

EXIT_OK = 0
EXIT_USAGE = 2


def _issue_reader(settings, repo: str):  # type: ignore[no-untyped-def]
    """The issue a fix closes, through the GitHub API when a token is configured."""
    from workers.github.client import GitHubRepoClient
    from workers.github.port import GitHubError
    from workers.github.retry import CappedRetry

    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    if not token:
        return None
    retry = CappedRetry(settings.github_max_retries, settings.github_retry_base_seconds,
                        settings.github_max_wait_seconds)
    client = GitHubRepoClient(repo, token, settings.github_api_url, retry)

    def read(number: int) -> tuple[str, str] | None:
        try:
            issue = client.get_issue(number)
        except GitHubError:
            return None
        return issue.title, issue.body or ""

    return read


def run_mine(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from workers.config import Settings
    from workers.evaluation.checkout import find_git_dir
    from workers.evaluation.environments_select import environments_for
    from workers.evaluation.mine import mine
    from workers.sandbox.select import SandboxBackend, build_sandbox

    if not args.repo or args.repo.count("/") != 1 or args.out is None:
        say("mine needs --repo OWNER/NAME and --out FILE.jsonl")
        return EXIT_USAGE
    if args.repos_dir is None:
        say("mine reads the history from a local clone: give --repos-dir (OWNER+NAME/repo or OWNER/NAME)")
        return EXIT_USAGE
    git_dir = find_git_dir(args.repos_dir, args.repo)
    if git_dir is None:
        say(f"{args.repo} is not under --repos-dir {args.repos_dir}")
        return EXIT_USAGE
    settings = Settings()
    sandbox = build_sandbox(SandboxBackend(settings.sandbox), settings.data_dir / "sandbox")
    if not sandbox.available:
        say(f"no sandbox, so no test can run: {sandbox.reason}")
        return EXIT_USAGE
    rows = mine(
        git_dir, args.repo, environments_for(settings, sandbox), sandbox, since=args.since or "",
        max_commits=args.max_commits, timeout=args.timeout,
        read_issue=_issue_reader(settings, args.repo), progress=say, version=args.version or "",
        until=args.until or "",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(row) + "\n" for row in rows))
    say(f"{len(rows)} instances written to {args.out}")
    return EXIT_OK
