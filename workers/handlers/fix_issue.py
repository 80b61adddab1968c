"""An `autofix` issue end to end: accept, read, compute the fix, open or update the draft PR, report."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from workers.github.port import GitHubPort, Issue, Permission
from workers.handlers.context import JobContext, limits_for
from workers.handlers.intake import accept_fix_trigger, upsert_status
from workers.messages import StatusState
from workers.model.port import ChatModel, Tokenizer
from workers.pipeline.context.snapshot import SnapshotCache
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.draft_pr import PublishRefused, publish_draft_pr
from workers.pipeline.run import Progress, propose_fix
from workers.pipeline.timing import Stage, StageTimer, untimed
from workers.repo_config import RepoConfig

log = logging.getLogger("iquest.handlers.fix_issue")

# Reading every commenter's permission costs a call each; the first few voices are enough.
_MAX_COMMENT_AUTHORS = 5


@dataclass(frozen=True)
class FixServices:
    model: ChatModel
    tokenizer: Tokenizer
    snapshots: SnapshotCache
    context_tokens: int
    timer: StageTimer = untimed


def _trusted_comments(github: GitHubPort, number: int, required: Permission) -> list[str]:
    """Comments by people allowed to trigger the app; everyone else's text stays out of the prompt."""
    allowed: dict[str, bool] = {}
    texts = []
    for comment in github.list_issue_comments(number):
        if comment.author_is_bot:
            continue
        if comment.author not in allowed:
            if len(allowed) >= _MAX_COMMENT_AUTHORS:
                continue
            allowed[comment.author] = github.get_permission(comment.author).allows(required)
        if allowed[comment.author]:
            texts.append(comment.body)
    return texts


@dataclass(frozen=True)
class ComputedFix:
    issue: Issue
    base_branch: str
    outcome: FixOutcome


def compute_issue_fix(
    github: GitHubPort,
    number: int,
    config: RepoConfig,
    services: FixServices,
    progress: Progress,
) -> ComputedFix:
    """Read the issue and the repository at its default branch head, and compute the fix."""
    issue = github.get_issue(number)
    repository = github.get_repository()
    head = github.get_branch_sha(repository.default_branch)
    if head is None:
        outcome = FixOutcome(FixStatus.FAILED, reason="the repository has no default branch yet.")
        return ComputedFix(issue, repository.default_branch, outcome)
    progress(f"downloading {github.full_name} at {head[:12]}")
    owner, repo = github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, head)
    outcome = propose_fix(
        snapshot.root,
        github.full_name,
        IssueText(
            number=issue.number,
            title=issue.title,
            body=issue.body,
            comments=_trusted_comments(github, number, config.min_permission),
        ),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config),
        progress=progress,
        timer=services.timer,
    )
    return ComputedFix(issue, repository.default_branch, outcome)


def fix_issue(ctx: JobContext, services: FixServices) -> None:
    if not accept_fix_trigger(ctx):
        return
    job, github = ctx.job, ctx.github
    upsert_status(github, job, StatusState.WORKING, "Reading the issue and the code.")
    computed = compute_issue_fix(
        github,
        job.number,
        ctx.config.config,
        services,
        progress=lambda message: log.info("job=%s %s", job.job_id, message),
    )
    outcome = computed.outcome
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
        upsert_status(github, job, state, f"No pull request this time: {outcome.reason}")
        return
    try:
        with services.timer(Stage.PUBLISH):
            pull = publish_draft_pr(
                github, computed.issue.number, computed.issue.title, outcome.proposal,
                computed.base_branch,
            )
    except PublishRefused as error:
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return
    files = len(outcome.proposal.changes)
    upsert_status(
        github,
        job,
        StatusState.DONE,
        f"Opened draft pull request #{pull.number} ({files} file{'s' if files != 1 else ''} "
        f"changed): {pull.html_url}\n\nIt has not been run; please review it like any other "
        "contribution.",
    )
    log.info("job=%s published %s", job.job_id, pull.html_url)
