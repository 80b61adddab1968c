"""`/iquest fix [text]` inside a review thread: one suggestion for exactly that thread's lines."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from workers.github.port import GitHubPort, PullRequest, ReviewComment
from workers.handlers.context import JobContext, limits_for
from workers.handlers.fix_issue import FixServices
from workers.handlers.intake import accept_fix_trigger, upsert_status
from workers.intake.commands import parse_command
from workers.intake.messages import StatusState, line_span
from workers.intake.triggers import BOT_BRANCH_PREFIX
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.prompts.review import ThreadNote, render_thread_prompt
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.suggestions import suggest_within
from workers.pipeline.publish.thread import (
    find_reply,
    render_thread_reply,
    reply_in_thread,
    thread_marker,
)
from workers.pipeline.run import propose_fix
from workers.pipeline.timing import Stage

log = logging.getLogger("iquest.handlers.fix_thread")


def _thread_notes(ctx: JobContext, root: ReviewComment, asking: ReviewComment) -> list[ThreadNote]:
    """The thread's first comment (if its author may trigger the app) and the request itself."""
    notes = []
    first, last = root.start_line or root.line, root.line
    if root.id != asking.id and not root.author_is_bot:
        allowed = root.author == asking.author or ctx.github.get_permission(root.author).allows(
            ctx.config.config.min_permission
        )
        if allowed:
            notes.append(ThreadNote(root.body, root.path, first, last))
    command = parse_command(asking.body, ctx.rules.command_word)
    request = command.text if command else ""
    notes.append(ThreadNote(request or "Fix the problem on these lines.", root.path, first, last))
    return notes


def _excerpt(root: Path, path: str, first: int, last: int) -> str | None:
    try:
        lines = (root / path).read_bytes().decode("utf-8").splitlines(keepends=True)
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None
    if last > len(lines):
        return None
    return "".join(lines[first - 1 : last])


def _compute(
    ctx: JobContext,
    services: FixServices,
    pull: PullRequest,
    root_dir: Path,
    thread: tuple[str, int, int],
    notes: list[ThreadNote],
    excerpt: str,
) -> FixOutcome:
    path, first, last = thread
    config = ctx.config.config
    return propose_fix(
        root_dir,
        ctx.github.full_name,
        # The query localization and packing search with: the path and the thread's words.
        IssueText(pull.number, pull.title, f"{path}:{first}", [n.body for n in notes]),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config, tree=root_dir),
        progress=lambda message: log.info("job=%s %s", ctx.job.job_id, message),
        timer=services.timer,
        ranked_first=[path],
        render_prompt=partial(
            render_thread_prompt, path=path, first=first, last=last, excerpt=excerpt, notes=notes
        ),
    )


def _refuse(github: GitHubPort, ctx: JobContext, details: str) -> None:
    upsert_status(github, ctx.job, StatusState.REFUSED, details)


def fix_thread(ctx: JobContext, services: FixServices) -> None:
    job, github = ctx.job, ctx.github
    pull = github.get_pull(job.number)
    if pull.head_ref.startswith(BOT_BRANCH_PREFIX) and pull.head_repo_full_name == github.full_name:
        # On the app's own draft PR the same comment also arrives as a review, and the review
        # follow-up answers it with a commit; a second answer here would contradict it.
        log.info("job=%s thread on the app's own PR: left to the review follow-up", job.job_id)
        return
    if not accept_fix_trigger(ctx):
        return
    request_id = job.comment_id or 0
    # Idempotent: a retried job finds the reply it already posted and only reports it.
    done = find_reply(github.list_review_comments(job.number), thread_marker(request_id))
    if done is not None:
        upsert_status(github, job, StatusState.DONE, f"Replied in the review thread: {done.html_url}")
        return
    upsert_status(github, job, StatusState.WORKING, "Reading the review thread and the code.")
    if pull.state != "open":
        _refuse(github, ctx, "This pull request is closed.")
        return
    asking = github.get_review_comment(request_id)
    # GitHub threads are one level deep: the first comment holds the lines and the reviewer's words.
    root = asking if asking.in_reply_to_id is None else github.get_review_comment(asking.thread_id)
    if root.line is None or root.side != "RIGHT":
        _refuse(github, ctx, "That review thread is on lines the pull request's head no longer "
                "has (outdated, or the removed side of the diff), so there is nothing to suggest "
                "on. Start a thread on the current lines and ask there.")
        return
    first, last = root.start_line or root.line, root.line
    owner, repo = github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, pull.head_sha)
    excerpt = _excerpt(snapshot.root, root.path, first, last)
    if excerpt is None:
        _refuse(github, ctx, f"`{root.path}` {line_span(first, last)} is not in the pull "
                "request's head any more.")
        return
    notes = _thread_notes(ctx, root, asking)
    outcome = _compute(ctx, services, pull, snapshot.root, (root.path, first, last), notes, excerpt)
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        state = StatusState.FAILED if outcome.status is FixStatus.FAILED else StatusState.REFUSED
        upsert_status(github, job, state, f"No suggestion this time: {outcome.reason}")
        return
    proposal = outcome.proposal
    head_text = (snapshot.root / root.path).read_bytes().decode("utf-8")
    suggestion = suggest_within(root.path, first, last, head_text, proposal.changes)
    body = render_thread_reply(request_id, first, last, proposal, suggestion)
    with services.timer(Stage.PUBLISH):
        reply = reply_in_thread(github, job.number, root, request_id, body)
    if suggestion.body:
        details = f"Replied in the review thread with a suggestion: {reply.html_url}"
    else:
        details = (f"The fix reaches beyond the thread's lines ({suggestion.reason}); I posted "
                   f"the diff in the thread: {reply.html_url}")
    upsert_status(github, job, StatusState.DONE, details + "\n\nIt has not been run; please "
                  "review it before committing.")
    log.info("job=%s replied in thread %s", job.job_id, root.id)
