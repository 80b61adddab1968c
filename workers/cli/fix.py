"""`iquest fix OWNER/REPO#N [--dry-run]`: one fix, synchronously, with progress on the terminal."""

from __future__ import annotations

import argparse
import re
import sys

_TARGET = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fix", help="compute (and publish) one fix for an issue")
    parser.add_argument("target", help="OWNER/REPO#NUMBER")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff instead of opening a draft PR"
    )


def _say(message: str) -> None:
    print(f"iquest fix: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    match = _TARGET.match(args.target)
    if not match:
        _say(f"'{args.target}' is not OWNER/REPO#NUMBER")
        return 2
    from workers.config import Settings, SettingsError
    from workers.handlers.context import load_context
    from workers.handlers.fix_issue import compute_issue_fix
    from workers.jobs import Job, JobKind, TriggerSource
    from workers.pipeline.proposal import FixStatus
    from workers.pipeline.publish.draft_pr import PublishRefused, publish_draft_pr
    from workers.redis_server import resolve_redis
    from workers.runtime import Runtime

    settings = Settings()
    try:
        settings.require_app_credentials()
    except SettingsError as error:
        _say(str(error))
        return 2
    owner, repo, number = match["owner"], match["repo"], int(match["number"])
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
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
        ctx = load_context(job, github, runtime.rules)
        if ctx.config.error:
            _say(f"{ctx.config.error} Using the defaults.")
        computed = compute_issue_fix(
            github, number, ctx.config.config, runtime.fix_services(github), _say
        )
        outcome = computed.outcome
        if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
            _say(f"no fix: {outcome.reason}")
            return 1
        if args.dry_run:
            print(outcome.proposal.diff, end="")
            return 0
        try:
            pull = publish_draft_pr(
                github, number, computed.issue.title, outcome.proposal, computed.base_branch
            )
        except PublishRefused as error:
            _say(str(error))
            return 1
        _say(f"draft pull request #{pull.number}: {pull.html_url}")
        return 0
    finally:
        endpoint.stop()
