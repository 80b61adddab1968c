"""Publish a fix as a draft PR on the app's own `iquest/issue-N` branch: one branch, one PR per issue."""

from __future__ import annotations

from importlib import resources
from string import Template

from workers.github.port import GitCommit, GitHubError, GitHubPort, PullRequest
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.receipt import render_compact

COMMIT_TRAILER = "Generated-by: iquest-autofix"


class PublishRefused(RuntimeError):
    """Publishing would overwrite work that is not the app's; nothing was changed."""


def branch_for_issue(number: int) -> str:
    return f"iquest/issue-{number}"


def pull_marker(number: int) -> str:
    return f"<!-- iquest:pull issue={number} -->"


def diff_stat(proposal: FixProposal) -> str:
    lines = []
    for path in sorted(proposal.changes):
        verb = "deleted" if proposal.changes[path] is None else "changed"
        lines.append(f"- `{path}` ({verb})")
    return "\n".join(lines)


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def render_pull_body(number: int, proposal: FixProposal, opened_by: str = "") -> str:
    """`opened_by`: who opened it when not the App (`iquest fix` with a token)."""
    body = _render_pull_body(number, proposal)
    if opened_by:
        body += "\n" + _template("pull_opened_by.md").substitute(identity=opened_by)
    return body


def _render_pull_body(number: int, proposal: FixProposal) -> str:
    template = _template("pull_body.md")
    return template.substitute(
        marker=pull_marker(number),
        number=number,
        root_cause=proposal.root_cause.strip() or "_The model did not state one._",
        explanation=proposal.explanation.strip() or "_See the diff._",
        stat=diff_stat(proposal),
        tests=proposal.tests.strip() or "_The model proposed no test; please add one._",
        diff=proposal.diff.rstrip("\n").replace("```", "`\u200b``"),
        run_note=run_note(proposal),
        verification=verification_section(proposal),
        guidance=guidance_line(proposal),
    )


def guidance_line(proposal: FixProposal) -> str:
    """Which of the repository's guidance files the prompt carried (issue 24), or nothing."""
    if not proposal.guidance_files:
        return ""
    return "Repository guidance used: " + ", ".join(f"`{p}`" for p in proposal.guidance_files) + "."


def run_note(proposal: FixProposal) -> str:
    verification = proposal.verification
    if verification is not None and verification.ran:
        where = "the Receipt" if proposal.receipt is not None else "Verification"
        return f"its tests were run in a sandbox (see {where})."
    return "it has not been run."


def verification_section(proposal: FixProposal) -> str:
    """The receipt (a table and the whole of it collapsed); without one, the "Verification"
    section; empty when no verifier was configured at all."""
    if proposal.receipt is not None:
        return render_compact(proposal.receipt)
    return proposal.verification.render_markdown() if proposal.verification else ""


def commit_on_branch(
    github: GitHubPort, branch: str, base: GitCommit, message: str, proposal: FixProposal
) -> bool:
    """Commit the changes on top of `base` and point the app's `branch` at it.

    True when the branch already existed (so a pull request from it may too). Raises
    PublishRefused, moving nothing, when the branch holds a commit that is not the app's.
    """
    tree = github.create_tree(base.tree_sha, proposal.changes, proposal.executable)
    commit = github.create_commit(message, tree, [base.sha])
    # Creating the branch is the common case and answers "does it exist?" in the same call;
    # GitHub refuses with 422 when it does (a re-run, or someone else's branch).
    try:
        github.create_branch(branch, commit)
        return False
    except GitHubError as error:
        if error.status != 422:
            raise
    existing = github.get_branch(branch)
    if existing is None:  # deleted in between: nothing of anyone's to keep
        github.create_branch(branch, commit)
        return False
    if COMMIT_TRAILER not in existing.message:
        # Someone pushed to the app's branch: their work wins, the app steps back (the new
        # commit stays unreferenced, invisible).
        raise PublishRefused(
            f"`{branch}` has commits that are not mine; I will not overwrite them. "
            "Delete the branch or merge it, then ask again."
        )
    # Only the app's own commits are replaced (checked above), so a re-run rebases onto the
    # current base instead of piling up.
    github.move_branch(branch, commit, force=True)
    return True


def publish_draft_pr(
    github: GitHubPort,
    number: int,
    title: str,
    proposal: FixProposal,
    base_branch: str,
    base: GitCommit,
    opened_by: str = "",
) -> PullRequest:
    """Commit the changes on top of `base` (the head of `base_branch` the fix was computed on)
    and open or update the draft PR."""
    branch = branch_for_issue(number)
    message = (
        f"Fix #{number}: {title}\n\n{proposal.root_cause.strip()[:2000]}\n\n{COMMIT_TRAILER}\n"
    )
    existed = commit_on_branch(github, branch, base, message, proposal)
    pull_title = f"Fix #{number}: {title}"
    body = render_pull_body(number, proposal, opened_by)
    # A pull request needs its head branch: a branch created just now has none yet.
    pull = github.find_open_pull(branch) if existed else None
    if pull is None:
        return github.create_pull(pull_title, body, branch, base_branch, draft=True)
    return github.update_pull(pull.number, pull_title, body)
