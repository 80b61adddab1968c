"""Publish a pull request's fix: a suggestions review, a stacked draft PR, or a patch comment."""

from __future__ import annotations

from importlib import resources
from string import Template

from workers.github.port import GitHubPort, PullRequest, Review, ReviewCommentDraft
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.draft_pr import (
    COMMIT_TRAILER,
    commit_on_branch,
    diff_stat,
    guidance_line,
    run_note,
    verification_section,
)
from workers.pipeline.publish.receipt import render_compact

_MAX_ROOT_CAUSE = 1500


def branch_for_pull(number: int) -> str:
    return f"iquest/pr-{number}"


def stacked_marker(number: int) -> str:
    return f"<!-- iquest:pull pr={number} -->"


def review_marker(number: int, request_id: int) -> str:
    # One review per asking comment: a retried job finds it, a new request gets a new one.
    return f"<!-- iquest:review pr={number} request={request_id} -->"


def patch_marker(number: int) -> str:
    return f"<!-- iquest:patch pr={number} -->"


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def _root_cause(proposal: FixProposal) -> str:
    return proposal.root_cause.strip()[:_MAX_ROOT_CAUSE] or "_The model did not state one._"


def _fenced_diff(proposal: FixProposal) -> str:
    # A ``` inside the diff would close the fence early; a zero-width space defuses it.
    return proposal.diff.rstrip("\n").replace("```", "`\u200b``")


def post_suggestions(
    github: GitHubPort,
    pull: PullRequest,
    proposal: FixProposal,
    comments: list[ReviewCommentDraft],
    request_id: int,
) -> Review:
    marker = review_marker(pull.number, request_id)
    existing = github.find_review(pull.number, marker)
    if existing is not None:
        return existing
    body = _template("review_body.md").substitute(
        marker=marker,
        count=len(comments),
        plural="" if len(comments) == 1 else "s",
        root_cause=_root_cause(proposal),
        verification=(
            f"\n{render_compact(proposal.receipt)}\n"
            if proposal.receipt is not None
            else f"\n**Verification:** {proposal.verification.summary()}\n"
            if proposal.verification
            else "It has not been run.\n"
        ),
    )
    return github.create_review(pull.number, pull.head_sha, _with_guidance(body, proposal), comments)


def _with_guidance(body: str, proposal: FixProposal) -> str:
    """The repository's guidance files the fix was written with, named at the end (issue 24)."""
    line = guidance_line(proposal)
    return f"{body.rstrip()}\n\n{line}\n" if line else body


def publish_stacked_pr(github: GitHubPort, pull: PullRequest, proposal: FixProposal) -> PullRequest:
    """Commit the fix on top of the PR head on `iquest/pr-N`; open or update a draft PR into it."""
    branch = branch_for_pull(pull.number)
    title = f"Fix for #{pull.number}: {pull.title}"
    message = f"{title}\n\n{proposal.root_cause.strip()[:2000]}\n\n{COMMIT_TRAILER}\n"
    # On the head the fix was computed against, not the branch's newest commit: the edits
    # were checked against exactly that code.
    existed = commit_on_branch(github, branch, github.get_commit(pull.head_sha), message, proposal)
    body = _template("stacked_pull_body.md").substitute(
        marker=stacked_marker(pull.number),
        number=pull.number,
        head_ref=pull.head_ref,
        root_cause=_root_cause(proposal),
        explanation=proposal.explanation.strip() or "_See the diff._",
        stat=diff_stat(proposal),
        tests=proposal.tests.strip() or "_The model proposed no test; please add one._",
        diff=_fenced_diff(proposal),
        run_note=run_note(proposal),
        verification=verification_section(proposal),
    )
    body = _with_guidance(body, proposal)
    existing = github.find_open_pull(branch) if existed else None
    if existing is None:
        return github.create_pull(title, body, branch, pull.head_ref, draft=True)
    return github.update_pull(existing.number, title, body)


def render_patch_comment(pull: PullRequest, proposal: FixProposal) -> str:
    return _template("patch_comment.md").substitute(
        marker=patch_marker(pull.number),
        head_ref=pull.head_ref,
        root_cause=_root_cause(proposal),
        diff=_fenced_diff(proposal),
    )
