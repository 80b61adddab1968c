"""A failed check run on the app's own draft PR as one job: at most one follow-up commit per run."""

from __future__ import annotations

import logging
from functools import partial

from workers.github.port import CheckRun, GitCommit, PullRequest
from workers.handlers.check_report import report_pushed
from workers.handlers.context import JobContext, limits_for
from workers.handlers.fix_issue import FixServices
from workers.handlers.intake import upsert_status
from workers.handlers.own_pull import commit_link, why_not_ours
from workers.intake.messages import StatusState
from workers.intake.triggers import FAILED_CONCLUSIONS
from workers.pipeline.prompts.ci import CheckFailure, render_ci_prompt
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.ci_status import (
    render_ci_exhausted,
    render_ci_pushed,
    render_ci_unusable,
)
from workers.pipeline.publish.draft_pr import PublishRefused
from workers.pipeline.publish.followup import (
    CI_TRAILER,
    commit_with_trailer,
    followup_rounds,
    push_followup,
    refuse_foreign_commits,
    root_cause_in,
)
from workers.pipeline.run import propose_fix
from workers.pipeline.timing import Stage

log = logging.getLogger("iquest.handlers.ci_followup")

# The app's own check runs (if it ever reports any) never start a round of fixes.
OWN_CHECK_PREFIX = "iquest"


def _compute(
    ctx: JobContext, services: FixServices, pull: PullRequest, failure: CheckFailure
) -> FixOutcome:
    owner, repo = ctx.github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, pull.head_sha)
    return propose_fix(
        snapshot.root,
        ctx.github.full_name,
        IssueText(pull.number, pull.title, failure.as_query()),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(ctx.config.config, tree=snapshot.root),
        progress=lambda message: log.info("job=%s %s", ctx.job.job_id, message),
        timer=services.timer,
        ranked_first=failure.annotated_paths(),
        render_prompt=partial(render_ci_prompt, failure=failure),
    )


def _worth_a_look(ctx: JobContext, run: CheckRun) -> bool:
    """False, silently, for runs that ask for nothing: the app's own, or no longer failed."""
    if run.name.lower().startswith(OWN_CHECK_PREFIX):
        log.info("job=%s ignores the app's own check run %s", ctx.job.job_id, run.id)
        return False
    if run.conclusion not in FAILED_CONCLUSIONS:
        log.info("job=%s check run %s concluded %s", ctx.job.job_id, run.id, run.conclusion)
        return False
    return True


def _push_new_commit(
    ctx: JobContext, services: FixServices, pull: PullRequest, commits: list[GitCommit],
    run: CheckRun,
) -> tuple[str, str] | None:
    """(sha, root cause) of the follow-up commit just pushed, or None when the user was told why not."""
    job, github = ctx.job, ctx.github
    try:
        refuse_foreign_commits(pull.head_ref, commits)
    except PublishRefused as error:
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return None
    rounds, limit = followup_rounds(commits, CI_TRAILER), ctx.config.config.ci_rounds
    if rounds >= limit:
        upsert_status(github, job, StatusState.REFUSED, render_ci_exhausted(run, rounds, limit))
        return None
    upsert_status(github, job, StatusState.WORKING,
                  f"Check `{run.name}` failed; reading its report and the code.")
    failure = CheckFailure.of(run, github.list_check_run_annotations(run.id))
    outcome = _compute(ctx, services, pull, failure)
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
        upsert_status(github, job, state, render_ci_unusable(run, outcome.reason))
        return None
    proposal = outcome.proposal
    try:
        sha = push_followup(github, pull.head_ref, pull.head_sha, commits,
                            f"Fix check {run.name} on #{pull.number}", f"{CI_TRAILER} {run.id}",
                            proposal, retry_hint="A new failing check will start the next round.")
    except PublishRefused as error:
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return None
    report_pushed(github, job, sha, proposal, f"Follow-up commit on `{pull.head_ref}` for check {run.name}.")
    return sha, proposal.root_cause


def ci_followup(ctx: JobContext, services: FixServices) -> None:
    job, github = ctx.job, ctx.github
    if not ctx.config.config.enabled or job.check_run_id is None:
        log.info("nothing to do job=%s", job.job_id)
        return
    run = github.get_check_run(job.check_run_id)
    if not _worth_a_look(ctx, run):
        return
    pull = github.get_pull(job.number)
    refused = why_not_ours(ctx, pull, 'This pull request is closed, so I push no fix for its failing checks.')
    if refused:
        upsert_status(github, job, StatusState.REFUSED, refused)
        return
    commits = github.list_pull_commits(job.number)
    # Idempotent: a retried job finds the commit it already pushed for this run.
    existing = commit_with_trailer(commits, CI_TRAILER, run.id)
    if existing is not None:
        pushed: tuple[str, str] | None = (existing.sha, root_cause_in(existing))
    elif run.head_sha != pull.head_sha:
        # A newer commit is on the branch and CI checks that one; its result decides.
        log.info("job=%s check run %s is for %s, not the head %s; skipped",
                 job.job_id, run.id, run.head_sha[:12], pull.head_sha[:12])
        return
    else:
        with services.timer(Stage.PUBLISH):
            pushed = _push_new_commit(ctx, services, pull, commits, run)
    if pushed is None:
        return
    sha, root_cause = pushed
    rounds = followup_rounds(commits, CI_TRAILER) + (existing is None)
    upsert_status(github, job, StatusState.DONE, render_ci_pushed(
        run, commit_link(pull, sha), pull.head_ref, rounds, ctx.config.config.ci_rounds, root_cause
    ))
    log.info("job=%s pushed CI follow-up %s", job.job_id, sha)
