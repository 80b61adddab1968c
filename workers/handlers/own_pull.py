"""What the follow-up flows ask of a pull request before touching it: is it open and the app's own?"""

from __future__ import annotations

from workers.github.port import PullRequest
from workers.handlers.context import JobContext
from workers.intake.triggers import BOT_BRANCH_PREFIX


def commit_link(pull: PullRequest, sha: str) -> str:
    # The PR's html url gives the host, so GitHub Enterprise links work too.
    base = pull.html_url.rsplit("/pull/", 1)[0]
    return f"[`{sha[:12]}`]({base}/commit/{sha})"


def why_not_ours(ctx: JobContext, pull: PullRequest, closed: str) -> str:
    """Why the app may not push a follow-up to `pull` (`closed` says it for a closed PR), or ""."""
    if pull.state != "open":
        return closed
    # Only the app's branches in this repository: never a fork, never someone's own branch.
    if not pull.head_ref.startswith(BOT_BRANCH_PREFIX) or pull.head_repo_full_name != ctx.github.full_name:
        return f"`{pull.head_ref}` is not one of my branches, so I push no follow-up to it."
    return ""
