"""Publish a code-scanning alert's fix as a draft PR on `iquest/alert-N`, linking the alert.

One branch and one pull request per alert: a redelivered or reopened alert updates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from string import Template

from workers.github.port import GitCommit, GitHubPort, PullRequest
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.draft_pr import (
    COMMIT_TRAILER,
    commit_on_branch,
    diff_stat,
    guidance_line,
    run_note,
    verification_section,
)


@dataclass(frozen=True)
class AlertRef:
    """What the pull request says about the alert it fixes."""

    number: int
    url: str
    rule: str
    tool: str
    location: str  # path:first-last
    title: str


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def branch_for_alert(number: int) -> str:
    return f"iquest/alert-{number}"


def alert_marker(number: int) -> str:
    return f"<!-- iquest:pull alert={number} -->"


def render_alert_body(alert: AlertRef, proposal: FixProposal) -> str:
    return _template("alert_pull_body.md").substitute(
        marker=alert_marker(alert.number),
        number=alert.number,
        alert_url=alert.url,
        rule=alert.rule.replace("`", "'"),
        tool=alert.tool or "a code-scanning tool",
        location=alert.location.replace("`", "'"),
        run_note=run_note(proposal),
        root_cause=proposal.root_cause.strip() or "_The model did not state one._",
        explanation=proposal.explanation.strip() or "_See the diff._",
        stat=diff_stat(proposal),
        tests=proposal.tests.strip() or "_The model proposed no test; please add one._",
        verification=verification_section(proposal),
        guidance=guidance_line(proposal),
        diff=proposal.diff.rstrip("\n").replace("```", "`\u200b``"),
    )


def publish_alert_pr(
    github: GitHubPort, alert: AlertRef, proposal: FixProposal, base_branch: str, base: GitCommit
) -> PullRequest:
    branch = branch_for_alert(alert.number)
    title = f"Fix code scanning alert #{alert.number}: {alert.title}"[:250]
    message = f"{title}\n\n{alert.url}\n\n{proposal.root_cause.strip()[:2000]}\n\n{COMMIT_TRAILER}\n"
    existed = commit_on_branch(github, branch, base, message, proposal)
    body = render_alert_body(alert, proposal)
    pull = github.find_open_pull(branch) if existed else None
    if pull is None:
        return github.create_pull(title, body, branch, base_branch, draft=True)
    return github.update_pull(pull.number, title, body)
