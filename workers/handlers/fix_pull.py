"""`/iquest fix [text]` on a pull request: fix the PR head, post suggestions, a stacked PR, or a patch."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from pathlib import Path

from workers.github.port import (
    CodeScanningAlert,
    GitHubError,
    GitHubPort,
    PullFile,
    PullRequest,
    ReviewCommentDraft,
)
from workers.handlers.check_report import CheckReport, report_pushed, suggestion_annotations
from workers.handlers.context import JobContext, limits_for, verifier_for
from workers.handlers.fix_alert import GRANT, wanted
from workers.handlers.fix_issue import FixServices
from workers.handlers.intake import accept_fix_trigger, upsert_status
from workers.handlers.ledger import is_verified
from workers.intake.commands import parse_command
from workers.intake.jobs import CheckButton, Job
from workers.intake.messages import StatusState
from workers.intake.outcomes import FixKind
from workers.intake.repo_config import RepoConfig
from workers.ledger.store import FixRecord
from workers.pipeline.prompts.fix import IssueText, render_pull_prompt
from workers.pipeline.proposal import FixOutcome, FixProposal, FixStatus
from workers.pipeline.publish.check_run import OPEN_DRAFT_PR, POST_SUGGESTIONS, render_fix_output
from workers.pipeline.publish.draft_pr import PublishRefused
from workers.pipeline.publish.pull import (
    patch_marker,
    post_suggestions,
    publish_stacked_pr,
    render_patch_comment,
)
from workers.pipeline.publish.receipt import status_note
from workers.pipeline.publish.suggestions import plan_suggestions
from workers.pipeline.run import propose_fix
from workers.pipeline.timing import Stage

log = logging.getLogger("iquest.handlers.fix_pull")
MAX_ALERTS = 10  # more than this is a scan to triage, not one fix
ALERTS_NOTE_MARKER = "<!-- iquest:code-scanning-permission -->"


def _request_text(ctx: JobContext) -> str:
    """The free text after `/iquest fix`, re-read from GitHub: the queue carries ids only."""
    if ctx.job.comment_id is None:
        return ""
    trigger = ctx.github.get_issue_comment(ctx.job.comment_id)
    command = parse_command(trigger.body, ctx.rules.command_word)
    return command.text if command else ""


def _pull_alerts(ctx: JobContext, pull: PullRequest) -> tuple[list[CodeScanningAlert], str]:
    """The open code-scanning alerts on the pull request that the settings ask to fix (issue 24),
    and a note for the status when they could not be read; nothing is asked when they are off."""
    settings = ctx.config.config.code_scanning
    if not settings.fix:
        return [], ""
    try:
        # GitHub's analyses of a pull request are filed under its merge ref.
        alerts = ctx.github.list_code_scanning_alerts(f"refs/pull/{pull.number}/merge")
    except GitHubError as error:
        if error.status == 403:
            return [], GRANT
        if error.status == 404:  # no analysis uploaded for it
            return [], ""
        raise
    return [a for a in alerts if not wanted(a, settings)], ""


def _alerts_request(alerts: list[CodeScanningAlert]) -> str:
    lines = [
        f"- Code scanning alert #{a.number} ({a.tool}, {a.rule_id}: {a.rule_description}) at "
        f"{a.path} lines {a.start_line}-{a.end_line}: {a.message}"
        for a in alerts[:MAX_ALERTS]
    ]
    return "Also fix the open code-scanning alerts on this pull request:\n" + "\n".join(lines)


def _head_text(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_bytes().decode("utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def _compute(
    github: GitHubPort,
    pull: PullRequest,
    files: list[PullFile],
    request: str,
    config: RepoConfig,
    services: FixServices,
    job: Job,
    alert_paths: tuple[str, ...] = (),
) -> tuple[FixOutcome, Path]:
    changed = [f.path for f in files if f.status != "removed"]
    # The alerts' files first: the tools named them (issue 24).
    changed = [*dict.fromkeys([*alert_paths, *changed])]
    owner, repo = github.full_name.split("/", 1)
    # GitHub serves a fork PR's head commit from the base repository too (refs/pull/N/head).
    snapshot = services.snapshots.get(owner, repo, pull.head_sha)
    outcome = propose_fix(
        snapshot.root,
        github.full_name,
        IssueText(
            number=pull.number,
            title=pull.title,
            body=pull.body,
            comments=[request] if request else [],
        ),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config, services.candidates, snapshot.root),
        progress=lambda message: log.info("job=%s %s", job.job_id, message),
        timer=services.timer,
        ranked_first=changed,
        render_prompt=partial(render_pull_prompt, changed_files=changed, request=request),
        narrow_tokens=services.narrow_tokens,
        verify=verifier_for(services.verification, config),
    )
    return outcome, snapshot.root


def _publish_patch_comment(github: GitHubPort, pull: PullRequest, proposal: FixProposal) -> None:
    github.upsert_marked_comment(
        pull.number, patch_marker(pull.number), render_patch_comment(pull, proposal)
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def fix_pull(ctx: JobContext, services: FixServices) -> None:
    job, github = ctx.job, ctx.github
    # Read first: the pull request also tells the comment reader how long its thread is.
    pull = github.get_pull(job.number)
    if not accept_fix_trigger(ctx, "Reading the pull request and the code."):
        return
    request = _request_text(ctx)
    alerts, alert_note = _pull_alerts(ctx, pull)
    if alerts:
        request = f"{request}\n\n{_alerts_request(alerts)}".strip()
    if alert_note:
        # Its own comment, once per pull request: the status is rewritten as the job goes on.
        github.upsert_marked_comment(
            pull.number, ALERTS_NOTE_MARKER, f"{ALERTS_NOTE_MARKER}\n⚠️ {alert_note} "
            "I am fixing this pull request without its code-scanning alerts until then.",
        )
    alert_paths = tuple(a.path for a in alerts[:MAX_ALERTS])
    report = CheckReport(github, job)
    # A push while the model works makes the fix one for an old head: start again once on
    # the new head rather than post suggestions pinned to code that is gone.
    for attempt in (1, 2):
        if pull.state != "open":
            report.fail("This pull request is closed.", "skipped")
            upsert_status(github, job, StatusState.REFUSED, "This pull request is closed.")
            return
        report.start(pull.head_sha)
        files = github.list_pull_files(job.number)
        outcome, root = _compute(
            github, pull, files, request, ctx.config.config, services, job, alert_paths
        )
        if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
            state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
            report.fail(outcome.reason)
            upsert_status(github, job, state, f"No fix this time: {outcome.reason}")
            return
        if attempt == 2:
            break
        current = github.get_pull(job.number)
        if current.head_sha == pull.head_sha:
            break
        log.info("job=%s head moved from %s; starting again", job.job_id, pull.head_sha[:12])
        upsert_status(github, job, StatusState.WORKING, "The pull request moved on while I "
                      "worked; starting again on its new head.")
        pull = current
    proposal = outcome.proposal
    plan = plan_suggestions(
        files, {path: _head_text(root, path) for path in proposal.changes}, proposal.changes
    )
    # "Open as draft PR" asks for the stacked PR even when the fix fits as suggestions.
    if plan.fits and job.pressed is not CheckButton.DRAFT_PR:
        _post_suggestions(ctx, services, pull, proposal, plan.comments, report)
        return
    why = (f"The fix does not fit as review suggestions ({plan.reason})" if not plan.fits
           else "You asked for a draft pull request")
    if pull.head_repo_full_name != github.full_name:
        # A fork's branch is not the app's to push to: hand over the patch instead.
        with services.timer(Stage.PUBLISH):
            _publish_patch_comment(github, pull, proposal)
        report.complete(render_fix_output(proposal, "The patch, in a comment on this pull request."))
        upsert_status(github, job, StatusState.DONE, f"{why}, and this pull request comes "
                      "from a fork, so I posted the patch in a comment below.")
        return
    try:
        with services.timer(Stage.PUBLISH):
            stacked = publish_stacked_pr(github, pull, proposal)
    except PublishRefused as error:
        report.fail(str(error), "neutral")
        upsert_status(github, job, StatusState.REFUSED, str(error))
        return
    services.record_fix(FixRecord(
        kind=FixKind.STACKED_PR, repository=github.full_name, number=stacked.number,
        verified=is_verified(proposal), branch=stacked.head_ref, head_sha=stacked.head_sha,
        job_id=job.job_id, installation_id=job.installation_id,
    ))
    where = f"Stacked draft pull request #{stacked.number}: {stacked.html_url}"
    report_pushed(github, job, stacked.head_sha, proposal, where)
    report.complete(render_fix_output(proposal, where),
                    (POST_SUGGESTIONS,) if plan.fits else ())
    upsert_status(github, job, StatusState.DONE, f"{why}, so I opened draft pull request "
                  f"#{stacked.number} into `{pull.head_ref}` "
                  f"({_plural(len(proposal.changes), 'file')} changed): {stacked.html_url}\n\n"
                  + status_note(proposal.receipt, "It has not been run; please review it like "
                                "any other contribution."))
    log.info("job=%s published %s", job.job_id, stacked.html_url)


def _post_suggestions(
    ctx: JobContext, services: FixServices, pull: PullRequest, proposal: FixProposal,
    comments: list[ReviewCommentDraft], report: CheckReport,
) -> None:
    job, github = ctx.job, ctx.github
    try:
        with services.timer(Stage.PUBLISH):
            review = post_suggestions(github, pull, proposal, comments, job.comment_id or 0)
    except GitHubError as error:
        if error.status != 422:
            raise
        # GitHub pins the review to the head the fix was computed on; a push since
        # moves the lines, and a suggestion on the wrong line is worse than none.
        report.fail("The pull request changed while I worked.")
        upsert_status(github, job, StatusState.FAILED, "The pull request changed while I "
                      "worked, so my suggestions no longer fit. Ask again.")
        return
    # Suggestions committed land on the pull request's own branch, which is how they are found.
    services.record_fix(FixRecord(
        kind=FixKind.SUGGESTIONS, repository=github.full_name, number=pull.number,
        verified=is_verified(proposal), branch=pull.head_ref, review_id=review.id,
        head_sha=pull.head_sha, job_id=job.job_id, installation_id=job.installation_id,
    ))
    where = f"A review with {_plural(len(comments), 'suggestion')}: {review.html_url}"
    output = render_fix_output(proposal, where)
    # On the PR head the edited lines are the ones each suggestion replaces.
    spans = [(c.path, c.start_line or c.line, c.line) for c in comments]
    report.complete(replace(output, annotations=suggestion_annotations(spans, proposal.root_cause)),
                    (OPEN_DRAFT_PR,))
    upsert_status(github, job, StatusState.DONE, f"Posted a review with "
                  f"{_plural(len(comments), 'suggestion')}: {review.html_url}\n\n"
                  + status_note(proposal.receipt, "They have not been run; please review them "
                                "before committing."))
    log.info("job=%s posted review %s", job.job_id, review.id)
