"""Publish a follow-up (review or CI): one fast-forward commit on the app's branch, replies per thread."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from string import Template

from workers.github.port import GitCommit, GitHubError, GitHubPort, ReviewComment
from workers.intake.messages import no_command_lines
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.draft_pr import COMMIT_TRAILER, PublishRefused
from workers.pipeline.publish.receipt import render_compact
from workers.pipeline.publish.thread import find_reply
from workers.pipeline.receipt import Receipt

# One trailer per follow-up commit: it counts the rounds and lets a retried job find its commit.
REVIEW_TRAILER = "Iquest-Review:"
CI_TRAILER = "Iquest-CI:"  # the value is the failed check run's id
_MAX_ROOT_CAUSE = 1500


def followup_marker(review_id: int, thread_id: int) -> str:
    return f"<!-- iquest:followup review={review_id} thread={thread_id} -->"


def followup_rounds(commits: list[GitCommit], trailer: str = REVIEW_TRAILER) -> int:
    return sum(1 for c in commits if _trailer_value(c, trailer) is not None)


def commit_for_review(commits: list[GitCommit], review_id: int) -> GitCommit | None:
    return commit_with_trailer(commits, REVIEW_TRAILER, review_id)


def commit_with_trailer(commits: list[GitCommit], trailer: str, value: int) -> GitCommit | None:
    return next((c for c in commits if _trailer_value(c, trailer) == value), None)


def root_cause_in(commit: GitCommit) -> str:
    """The root cause a follow-up commit's message carries between its title and trailers."""
    parts = commit.message.split("\n\n")
    return parts[1].strip() if len(parts) > 2 else ""


def _trailer_value(commit: GitCommit, trailer: str) -> int | None:
    for line in commit.message.splitlines():
        if line.startswith(trailer):
            value = line.removeprefix(trailer).strip()
            return int(value) if value.isdigit() else None
    return None


def refuse_foreign_commits(branch: str, commits: list[GitCommit]) -> None:
    """Raise PublishRefused when any commit on the PR is not the app's."""
    foreign = [c.sha[:12] for c in commits if COMMIT_TRAILER not in c.message]
    if foreign:
        # A person has pushed to the branch: the follow-up would bury their work in mine.
        raise PublishRefused(
            f"`{branch}` has commits that are not mine ({', '.join(foreign[:3])}); I will not "
            "push on top of them. Finish the change by hand, or delete the branch and ask again."
        )


def push_followup(
    github: GitHubPort,
    branch: str,
    head_sha: str,
    commits: list[GitCommit],
    title: str,
    trailer: str,
    proposal: FixProposal,
    retry_hint: str = "Review again to retry.",
) -> str:
    """Commit on top of `head_sha` and fast-forward `branch` to it; returns the commit sha.

    `trailer` is the follow-up's own line (`Iquest-Review: 12`). Raises PublishRefused,
    changing nothing, when any commit on the PR is not the app's or the branch moved on.
    """
    refuse_foreign_commits(branch, commits)
    message = (
        f"{title}\n\n{proposal.root_cause.strip()[:2000]}\n\n{trailer}\n{COMMIT_TRAILER}\n"
    )
    tree = github.create_tree(
        github.get_commit(head_sha).tree_sha, proposal.changes, proposal.executable
    )
    commit = github.create_commit(message, tree, [head_sha])
    try:
        # Never forced: if the branch moved while the fix was computed, GitHub refuses.
        github.move_branch(branch, commit, force=False)
    except GitHubError as error:
        if error.status != 422:
            raise
        raise PublishRefused(
            f"`{branch}` changed while I worked, so I pushed nothing. {retry_hint}"
        ) from error
    return commit


def review_threads(comments: list[ReviewComment]) -> list[int]:
    """The threads a review's comments sit in (a reply's thread is its first comment), in order."""
    return list(dict.fromkeys(c.thread_id for c in comments))


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def render_pushed_reply(
    review_id: int, thread_id: int, commit_link: str, root_cause: str, receipt: Receipt | None = None
) -> str:
    """The reply in a thread; with the fix's receipt (compact) when this run computed it."""
    root_cause = root_cause.strip()[:_MAX_ROOT_CAUSE] or "_The model did not state one._"
    ran = receipt is not None and receipt.verification is not None and receipt.verification.ran
    return _template("followup_pushed.md").substitute(
        marker=followup_marker(review_id, thread_id),
        commit=commit_link,
        run_note="its tests were run in a sandbox (receipt below)" if ran else "not run",
        root_cause=no_command_lines(root_cause),
        receipt=f"\n{render_compact(receipt)}" if receipt is not None else "",
    )


def render_unusable_reply(review_id: int, thread_id: int, reason: str) -> str:
    return _template("followup_unusable.md").substitute(
        marker=followup_marker(review_id, thread_id), reason=no_command_lines(reason)
    )


def answer_threads(
    github: GitHubPort,
    number: int,
    review_id: int,
    threads: list[int],
    render: Callable[[int], str],
) -> int:
    """Reply once in each thread (a retried job skips those already answered); returns the count."""
    existing = github.list_review_comments(number)
    for thread_id in threads:
        if find_reply(existing, followup_marker(review_id, thread_id)) is None:
            github.reply_to_review_comment(number, thread_id, render(thread_id))
    return len(threads)
