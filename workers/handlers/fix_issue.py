"""An `autofix` issue end to end: accept, read, compute the fix, open or update the draft PR, report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from workers.github.port import Comment, GitCommit, GitHubPort, Issue, Permission, Repository
from workers.handlers.check_report import CheckReport, report_pushed
from workers.handlers.context import JobContext, VerifyServices, limits_for, verifier_for
from workers.handlers.intake import accept_fix_trigger, upsert_status
from workers.handlers.ledger import FixRecorder
from workers.intake.jobs import CheckButton
from workers.intake.messages import StatusState
from workers.intake.outcomes import FixKind
from workers.intake.repo_config import RepoConfig
from workers.ledger.store import FixRecord
from workers.model.port import ChatModel, Tokenizer
from workers.pipeline.context.snapshot import SnapshotCache
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.check_run import OPEN_UNPROVEN, render_fix_output
from workers.pipeline.publish.draft_pr import PublishRefused, guidance_line, publish_draft_pr
from workers.pipeline.publish.receipt import render_held, status_note
from workers.pipeline.run import Progress, propose_fix
from workers.pipeline.timing import Stage, StageTimer, untimed

log = logging.getLogger("iquest.handlers.fix_issue")

# Who may be quoted to the model, read from the thread itself (GitHub's author_association,
# the rule the edge applies to triggers) instead of one permission call per commenter.


@dataclass(frozen=True)
class FixServices:
    model: ChatModel
    tokenizer: Tokenizer
    snapshots: SnapshotCache
    context_tokens: int
    timer: StageTimer = untimed
    # None: tests are never considered (as before verification); a `none` sandbox runs
    # nothing and the pull request says why.
    verification: VerifyServices | None = None
    candidates: int = 1  # the deployment's default (IQUEST_CANDIDATES)
    # The outcome ledger's "a fix was published"; records nothing unless given a ledger.
    record_fix: FixRecorder = field(default_factory=lambda: FixRecorder(None))
    # Model-assisted narrowing's budget; 0 (IQUEST_CONTEXT_NARROWING off) skips it.
    narrow_tokens: int = 0


def trusted_comments(comments: list[Comment], required: Permission, sender: str = "") -> list[str]:
    """Comments by people allowed to trigger the app; everyone else's text stays out of the prompt.

    Decided without a call per commenter, so a long thread costs what a short one does: the
    sender passed the live permission check already, and an OWNER association means the
    repository's owner (admin). MEMBER and COLLABORATOR do not say enough — a read-only
    collaborator has that association too — so their words reach the model only when they
    ask themselves. Anyone counts when nothing is required.
    """
    texts = []
    for comment in comments:
        if comment.author_is_bot:
            continue
        if (
            required is Permission.NONE
            or (sender and comment.author == sender)
            or comment.association == "OWNER"
        ):
            texts.append(comment.body)
    return texts


@dataclass(frozen=True)
class ComputedFix:
    issue: Issue
    base_branch: str
    outcome: FixOutcome
    # The default branch's head the fix was computed on (None when the branch is missing).
    base: GitCommit | None = None


def compute_issue_fix(
    github: GitHubPort,
    number: int,
    config: RepoConfig,
    services: FixServices,
    progress: Progress,
    repository: Repository | None = None,
    sender: str = "",
) -> ComputedFix:
    """Read the issue and the repository at its default branch head, and compute the fix.

    A job passes the repository it has read already; without one it is read here.
    """
    repository = repository or github.get_repository()
    issue = github.get_issue(number)
    head = github.get_branch(repository.default_branch)
    if head is None:
        outcome = FixOutcome(FixStatus.FAILED, reason="the repository has no default branch yet.")
        return ComputedFix(issue, repository.default_branch, outcome)
    progress(f"downloading {github.full_name} at {head.sha[:12]}")
    owner, repo = github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, head.sha)
    outcome = propose_fix(
        snapshot.root,
        github.full_name,
        IssueText(
            number=issue.number,
            title=issue.title,
            body=issue.body,
            comments=trusted_comments(
                github.list_issue_comments(number), config.min_permission, sender
            ),
        ),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config, services.candidates, snapshot.root),
        progress=progress,
        timer=services.timer,
        verify=verifier_for(services.verification, config),
        narrow_tokens=services.narrow_tokens,
    )
    return ComputedFix(issue, repository.default_branch, outcome, head)


def fix_issue(ctx: JobContext, services: FixServices) -> None:
    if not accept_fix_trigger(ctx, "Reading the issue and the code."):
        return
    job, github = ctx.job, ctx.github
    computed = compute_issue_fix(
        github,
        job.number,
        ctx.config.config,
        services,
        progress=lambda message: log.info("job=%s %s", job.job_id, message),
        sender=job.sender_login,
    )
    outcome = computed.outcome
    if (
        outcome.status is not FixStatus.PROPOSED
        or outcome.proposal is None
        or computed.base is None
    ):
        state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
        upsert_status(github, job, state, f"No pull request this time: {outcome.reason}")
        return
    receipt = outcome.proposal.receipt
    if (ctx.config.config.require_verified and not (receipt is not None and receipt.verified)
            and job.pressed is not CheckButton.DRAFT_PR):
        hold_unproven(ctx, computed)
        return
    try:
        with services.timer(Stage.PUBLISH):
            pull = publish_draft_pr(
                github, computed.issue.number, computed.issue.title, outcome.proposal,
                computed.base_branch, computed.base,
            )
    except PublishRefused as error:
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return
    report_pushed(github, job, pull.head_sha, outcome.proposal,
                  f"Draft pull request #{pull.number}: {pull.html_url}")
    verification = outcome.proposal.verification
    services.record_fix(FixRecord(
        kind=FixKind.DRAFT_PR, repository=github.full_name, number=pull.number,
        verified=verification is not None and verification.clean,
        branch=pull.head_ref, issue_number=computed.issue.number, head_sha=pull.head_sha,
        job_id=job.job_id, installation_id=job.installation_id,
    ))
    files = len(outcome.proposal.changes)
    upsert_status(
        github,
        job,
        StatusState.DONE,
        f"Opened draft pull request #{pull.number} ({files} file{'s' if files != 1 else ''} "
        f"changed): {pull.html_url}\n\n" + status_note(
            outcome.proposal.receipt,
            "It has not been run; please review it like any other contribution.")
        + (f"\n\n{line}" if (line := guidance_line(outcome.proposal)) else ""),
    )
    log.info("job=%s published %s", job.job_id, pull.html_url)


def hold_unproven(ctx: JobContext, computed: ComputedFix) -> None:
    """`require_verified` and a fix that is not: no pull request. The status shows the fix and
    its diff; the check run on the base commit offers "Open as draft PR" (a FIX_ISSUE job
    pressed DRAFT_PR, which publishes whatever its receipt says)."""
    job, github, proposal = ctx.job, ctx.github, computed.outcome.proposal
    assert proposal is not None and computed.base is not None
    report = CheckReport(github, job)
    report.start(computed.base.sha)
    output = render_fix_output(proposal, "Nowhere yet: this repository requires verified "
                               "fixes (`require_verified`); the button below opens it anyway.")
    report.complete(output, (OPEN_UNPROVEN,))
    upsert_status(github, job, StatusState.HELD, render_held(proposal, computed.base_branch))
    log.info("job=%s held back an unproven fix (require_verified)", job.job_id)
