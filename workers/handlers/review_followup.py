"""A review of the app's own draft PR as one job: one follow-up commit, each thread answered."""

from __future__ import annotations

import logging
from functools import partial

from workers.github.port import GitCommit, PullRequest, ReviewComment
from workers.handlers.check_report import report_pushed
from workers.handlers.context import JobContext, limits_for
from workers.handlers.fix_issue import FixServices
from workers.handlers.intake import accept_fix_trigger, upsert_status
from workers.handlers.ledger import is_verified
from workers.handlers.own_pull import commit_link, why_not_ours
from workers.intake.commands import parse_command
from workers.intake.messages import StatusState
from workers.intake.outcomes import FixKind
from workers.ledger.store import FixRecord
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.prompts.review import ThreadNote, render_followup_prompt
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.draft_pr import PublishRefused
from workers.pipeline.publish.followup import (
    REVIEW_TRAILER,
    answer_threads,
    commit_for_review,
    followup_rounds,
    push_followup,
    render_pushed_reply,
    render_unusable_reply,
    review_threads,
    root_cause_in,
)
from workers.pipeline.publish.receipt import status_note
from workers.pipeline.receipt import Receipt
from workers.pipeline.run import propose_fix
from workers.pipeline.timing import Stage

log = logging.getLogger("iquest.handlers.review_followup")


def _notes(ctx: JobContext, body: str, comments: list[ReviewComment]) -> list[ThreadNote]:
    notes = []
    # A review body that is only `/iquest fix` asks for the follow-up; its free text still counts.
    command = parse_command(body, ctx.rules.command_word)
    text = command.text if command else body
    if text.strip():
        notes.append(ThreadNote(text))
    for c in comments:
        # `/iquest fix` in a thread of the app's PR arrives here: its free text is the request.
        asked = parse_command(c.body, ctx.rules.command_word)
        text = (asked.text or "Fix the problem on these lines.") if asked else c.body
        notes.append(ThreadNote(text, c.path, c.start_line or c.line, c.line))
    return notes


def _compute(
    ctx: JobContext, services: FixServices, pull: PullRequest, notes: list[ThreadNote],
    paths: list[str],
) -> FixOutcome:
    config = ctx.config.config
    owner, repo = ctx.github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, pull.head_sha)
    return propose_fix(
        snapshot.root,
        ctx.github.full_name,
        IssueText(pull.number, pull.title, "", [n.body for n in notes]),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config, tree=snapshot.root),
        progress=lambda message: log.info("job=%s %s", ctx.job.job_id, message),
        timer=services.timer,
        ranked_first=paths,
        render_prompt=partial(render_followup_prompt, notes=notes),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _push_new_commit(
    ctx: JobContext, services: FixServices, pull: PullRequest, commits: list[GitCommit],
    comments: list[ReviewComment], threads: list[int],
) -> tuple[str, str] | None:
    """(sha, root cause) of the follow-up commit just pushed, or None when the user was told why not."""
    job, github = ctx.job, ctx.github
    review_id = job.review_id or 0
    rounds, limit = followup_rounds(commits), ctx.config.config.review_rounds
    if rounds >= limit:
        upsert_status(github, job, StatusState.REFUSED, f"I have pushed "
                      f"{_plural(rounds, 'follow-up commit')} to this pull request, the limit "
                      f"this repository sets (`review_rounds: {limit}`). Please finish the "
                      "change by hand.")
        return None
    notes = _notes(ctx, github.get_review(job.number, review_id).body, comments)
    if not notes:
        upsert_status(github, job, StatusState.REFUSED, "The review has no comments for me to act on.")
        return None
    upsert_status(github, job, StatusState.WORKING, "Reading the review and the code.")
    outcome = _compute(ctx, services, pull, notes, list(dict.fromkeys(c.path for c in comments)))
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        reason = outcome.reason
        answer_threads(github, job.number, review_id, threads,
                       lambda thread: render_unusable_reply(review_id, thread, reason))
        state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
        upsert_status(github, job, state, f"No follow-up commit this time: {reason}")
        return None
    proposal = outcome.proposal
    try:
        sha = push_followup(github, pull.head_ref, pull.head_sha, commits,
                            f"Address review on #{pull.number}", f"{REVIEW_TRAILER} {review_id}",
                            proposal)
    except PublishRefused as error:
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return None
    report_pushed(github, job, sha, proposal, f"Follow-up commit on `{pull.head_ref}` for the review.")
    services.record_fix(FixRecord(
        kind=FixKind.FOLLOWUP, repository=github.full_name, number=pull.number,
        verified=is_verified(proposal), branch=pull.head_ref, head_sha=sha, job_id=job.job_id,
        installation_id=job.installation_id,
    ))
    return sha, proposal.root_cause, proposal.receipt


def review_followup(ctx: JobContext, services: FixServices) -> None:
    if not accept_fix_trigger(ctx):
        return
    job, github = ctx.job, ctx.github
    review_id = job.review_id or 0
    pull = github.get_pull(job.number)
    refused = why_not_ours(ctx, pull, 'This pull request is closed.')
    if refused:
        upsert_status(github, job, StatusState.REFUSED, refused)
        return
    comments = github.list_review_comments(job.number, review_id)
    threads = review_threads(comments)
    commits = github.list_pull_commits(job.number)
    # Idempotent: a retried job finds the commit it already pushed and only answers threads.
    existing = commit_for_review(commits, review_id)
    if existing is not None:
        # A retry: the commit is out, its receipt was in the first run's check run.
        pushed: tuple[str, str, Receipt | None] | None = (existing.sha, root_cause_in(existing), None)
    else:
        with services.timer(Stage.PUBLISH):
            pushed = _push_new_commit(ctx, services, pull, commits, comments, threads)
    if pushed is None:
        return
    sha, root_cause, receipt = pushed
    link = commit_link(pull, sha)
    answered = answer_threads(github, job.number, review_id, threads,
                              lambda thread: render_pushed_reply(review_id, thread, link, root_cause,
                                                                 receipt))
    upsert_status(github, job, StatusState.DONE, f"Pushed follow-up commit {link} to "
                  f"`{pull.head_ref}` for the review ({_plural(answered, 'thread')} answered)."
                  "\n\n" + status_note(receipt, "It has not been run; please review it like any "
                                       "other contribution."))
    log.info("job=%s pushed follow-up %s", job.job_id, sha)
