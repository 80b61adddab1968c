"""`iquest fix OWNER/REPO#N [--dry-run]`: one fix, synchronously, with progress on the terminal.

Authenticates as the GitHub App when its credentials are set (an installation token scoped to
the repository), otherwise with a plain token, IQUEST_GITHUB_TOKEN: a personal access token
or the `GITHUB_TOKEN` of an Actions run. A token cannot be scoped down, so its permission on
the repository is checked before anything is written.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

_TARGET = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")
EXIT_OK = 0
EXIT_NO_FIX = 1  # no fix, or refused: permissions, the branch holds someone else's commit
EXIT_USAGE = 2  # bad arguments or missing credentials


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fix",
        help="compute (and publish) one fix for an issue",
        description=(
            "Compute a fix for an issue and open (or update) the draft pull request on "
            "iquest/issue-N. Credentials: the GitHub App's (IQUEST_APP_ID and private key) or "
            "a token (IQUEST_GITHUB_TOKEN). "
            f"Exit {EXIT_OK}: done; {EXIT_NO_FIX}: no fix or refused (reason on stderr); "
            f"{EXIT_USAGE}: bad arguments or credentials."
        ),
    )
    parser.add_argument("target", help="OWNER/REPO#NUMBER")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff instead of opening a draft PR"
    )
    parser.add_argument(
        "--requested-by", metavar="LOGIN", default=None,
        help="who asked for the fix; refused unless their permission on the repository "
        "meets its min_permission (the Action passes the labeller or commenter)",
    )


def _say(message: str) -> None:
    print(f"iquest fix: {message}", file=sys.stderr, flush=True)


def _actions_run_url() -> str | None:
    """The GitHub Actions run this process is part of, from the runner's default variables."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    parts = [os.environ.get(name, "") for name in
             ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return "{}/{}/actions/runs/{}".format(*parts) if all(parts) else None


def describe_identity(login: str | None, run_url: str | None) -> str:
    """The PR body's account of who opened it."""
    if login is not None:
        who = f"the token of @{login}"
    elif run_url is not None:
        who = "the workflow's token (github-actions[bot] for `GITHUB_TOKEN`)"
    else:
        who = "a GitHub App installation token"
    return f"{who} in GitHub Actions run {run_url}" if run_url else who


def run(args: argparse.Namespace) -> int:
    match = _TARGET.match(args.target)
    if not match:
        _say(f"'{args.target}' is not OWNER/REPO#NUMBER")
        return EXIT_USAGE
    from workers.config import Settings, SettingsError
    from workers.github.port import GitHubError

    settings = Settings()
    owner, repo, number = match["owner"], match["repo"], int(match["number"])
    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    try:
        if settings.app_credentials_given():
            settings.require_app_credentials()
            return _run_as_app(args, settings, owner, repo, number)
        if token:
            return _run_with_token(args, settings, token, f"{owner}/{repo}", number)
    except SettingsError as error:
        _say(str(error))
        return EXIT_USAGE
    except GitHubError as error:
        _say(_explain(error))
        return EXIT_NO_FIX
    _say(
        "no GitHub credentials: set IQUEST_GITHUB_TOKEN (a personal access token, or the "
        "GITHUB_TOKEN of an Actions run), or the GitHub App's IQUEST_APP_ID and "
        "IQUEST_PRIVATE_KEY / IQUEST_PRIVATE_KEY_FILE."
    )
    return EXIT_USAGE


def _explain(error) -> str:  # type: ignore[no-untyped-def]
    if error.status == 401:
        return f"GitHub rejected the credentials ({error})."
    if error.status == 403:
        return (
            f"{error}: the token may not do this. It needs contents, pull-requests and issues: "
            "write on the repository (in a workflow: its `permissions:` block)."
        )
    return str(error)


def _run_as_app(args, settings, owner: str, repo: str, number: int) -> int:  # type: ignore[no-untyped-def]
    from workers.handlers.context import load_repo_config
    from workers.intake.jobs import Job, JobKind, TriggerSource
    from workers.operations.redis_server import resolve_redis
    from workers.runtime import Runtime

    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    github = None
    try:
        runtime = Runtime.build(settings, endpoint.url)
        installation = runtime.app_tokens.installation_for(owner, repo)
        job = Job(
            kind=JobKind.FIX_ISSUE,
            job_id="cli",
            delivery_id="cli",
            installation_id=installation,
            repo_full_name=f"{owner}/{repo}",
            number=number,
            source=TriggerSource.ISSUE,
            sender_login="",
        )
        github = runtime.github_for(job)
        config = load_repo_config(github)
        return _fix(args, number, github, config, runtime.fix_services(github, runtime.model_for(job)),
                    opened_by="")
    finally:
        if github is not None:
            github.close()
        endpoint.stop()


def _run_with_token(args, settings, token: str, full_name: str, number: int) -> int:  # type: ignore[no-untyped-def]
    from workers.github.client import GitHubRepoClient
    from workers.github.port import Permission
    from workers.github.retry import CappedRetry
    from workers.handlers.context import load_repo_config
    from workers.handlers.fix_issue import FixServices
    from workers.model.from_settings import adapters_for_cli
    from workers.pipeline.context.snapshot import SnapshotCache
    from workers.pipeline.edits.json_form import EDIT_SCHEMA, JSON_INSTRUCTION

    retry = CappedRetry(
        settings.github_max_retries,
        settings.github_retry_base_seconds,
        settings.github_max_wait_seconds,
    )
    github = GitHubRepoClient(full_name, token, settings.github_api_url, retry)
    try:
        identity = github.token_identity()
        # What the token writes as: its user, or (an installation token: no user) Actions' bot.
        github.own_login = identity.login or "github-actions[bot]"
        opened_by = describe_identity(identity.login, _actions_run_url())
        _say(f"authenticated with {opened_by}")
        if not args.dry_run:
            if identity.login is not None and not (
                identity.permission and identity.permission.allows(Permission.WRITE)
            ):
                level = identity.permission.value if identity.permission else "no"
                _say(
                    f"refused: @{identity.login} has {level} access to {full_name}; opening a "
                    "pull request needs write (contents, pull requests, issues). Use a token "
                    "of someone with write access, or --dry-run."
                )
                return EXIT_NO_FIX
            if identity.login is None:
                _say(
                    "GitHub does not tell an installation token its permissions; it needs "
                    "contents, pull-requests and issues: write (a workflow's `permissions:`)."
                )
        config = load_repo_config(github)
        model, tokenizer, context_tokens = adapters_for_cli(
            settings, config.config.structured_output, EDIT_SCHEMA, JSON_INSTRUCTION
        )
        services = FixServices(
            model=model,
            tokenizer=tokenizer,
            snapshots=SnapshotCache(
                settings.data_dir / "snapshots",
                fetch_tarball=lambda owner, repo, sha: github.download_tarball(sha),
            ),
            context_tokens=context_tokens,
        )
        return _fix(args, number, github, config, services, opened_by)
    finally:
        github.close()


def _fix(args, number: int, github, loaded, services, opened_by: str) -> int:  # type: ignore[no-untyped-def]
    """Check who asked, compute the fix, then print it (--dry-run) or open the draft PR."""
    from workers.handlers.fix_issue import compute_issue_fix
    from workers.pipeline.proposal import FixStatus
    from workers.pipeline.publish.draft_pr import PublishRefused, publish_draft_pr

    if loaded.error:
        _say(f"{loaded.error} Using the defaults.")
    config = loaded.config
    if args.requested_by:
        # The same rule the App applies to whoever labels or comments: their live permission.
        permission = github.get_permission(args.requested_by)
        if not permission.allows(config.min_permission):
            _say(
                f"refused: @{args.requested_by}'s permission on the repository is "
                f"{permission.value}; it lets {config.min_permission.value} or more ask for fixes."
            )
            return EXIT_NO_FIX
    if not config.enabled:
        _say("refused: iquest is disabled in this repository's .github/iquest.yml.")
        return EXIT_NO_FIX
    computed = compute_issue_fix(github, number, config, services, _say)
    outcome = computed.outcome
    if (
        outcome.status is not FixStatus.PROPOSED
        or outcome.proposal is None
        or computed.base is None
    ):
        _say(f"no fix: {outcome.reason}")
        return EXIT_NO_FIX
    if args.dry_run:
        print(outcome.proposal.diff, end="")
        return EXIT_OK
    try:
        pull = publish_draft_pr(
            github, number, computed.issue.title, outcome.proposal, computed.base_branch,
            computed.base, opened_by=opened_by,
        )
    except PublishRefused as error:
        _say(str(error))
        return EXIT_NO_FIX
    _say(f"draft pull request #{pull.number}: {pull.html_url}")
    return EXIT_OK
