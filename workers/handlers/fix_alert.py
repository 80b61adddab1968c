"""A code-scanning alert on the default branch end to end (issue 24): read it, check the
repository wants it fixed, compute the fix at the alert's location, open the draft PR.

There is no issue thread: the pull request is the result, and a job that ends without one
says why in a completed `iquest` check run on the default branch's head.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from workers.github.port import CheckOutput, CodeScanningAlert, GitHubError, GitHubPort
from workers.handlers.check_report import report_pushed
from workers.handlers.context import JobContext, limits_for, verifier_for
from workers.handlers.fix_issue import FixServices
from workers.intake.jobs import Job
from workers.intake.repo_config import CodeScanningConfig, Severity
from workers.pipeline.prompts.alert import render_alert_prompt
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixStatus
from workers.pipeline.publish.alert_pr import AlertRef, publish_alert_pr
from workers.pipeline.publish.check_run import CHECK_NAME
from workers.pipeline.publish.draft_pr import PublishRefused
from workers.pipeline.run import propose_fix
from workers.pipeline.timing import Stage

log = logging.getLogger("iquest.handlers.fix_alert")

GRANT = (
    "I may not read code-scanning alerts: the App needs the `security_events: read` "
    "permission (and the `code_scanning_alert` event). An owner can grant it in the App's "
    "settings (Permissions & events), then accept it on the installation."
)
# One scale for both of GitHub's severities: a rule's (note/warning/error) and a security
# rule's (low/medium/high/critical); `min_severity` may name either.
_RANK = {
    Severity.NOTE: 1, Severity.LOW: 1, Severity.WARNING: 2, Severity.MEDIUM: 2,
    Severity.ERROR: 3, Severity.HIGH: 3, Severity.CRITICAL: 4,
}
EXCERPT_CONTEXT = 3  # lines shown around the alert's own


def alert_rank(alert: CodeScanningAlert) -> int:
    ranks = [_RANK[Severity(v)] for v in (alert.severity, alert.security_severity) if v in set(Severity)]
    return max(ranks, default=0)


def wanted(alert: CodeScanningAlert, settings: CodeScanningConfig) -> str:
    """"" when the settings ask for this alert's fix; else why not."""
    if not settings.fix:
        return "`code_scanning.fix` is not on in `.github/iquest.yml`"
    if alert.state != "open":
        return f"the alert is {alert.state}"
    if alert_rank(alert) < _RANK[settings.min_severity]:
        severity = alert.security_severity or alert.severity or "unset"
        return f"its severity ({severity}) is below `min_severity` ({settings.min_severity.value})"
    tools = {t.lower() for t in settings.tools}
    if tools and alert.tool.lower() not in tools:
        return f"its tool ({alert.tool}) is not one of `code_scanning.tools`"
    if not alert.path or alert.start_line < 1:
        return "the alert has no location in the code"
    return ""


def alert_issue_text(alert: CodeScanningAlert) -> IssueText:
    """The alert as the issue the pipeline fixes; the location leads localization to the lines."""
    severity = ", ".join(v for v in (alert.severity, alert.security_severity) if v) or "unset"
    body = (
        f"Tool: {alert.tool}\nRule: {alert.rule_id} — {alert.rule_description}\n"
        f"Severity: {severity}\nLocation: {alert.path} lines {alert.start_line}-{alert.end_line}\n\n"
        f"{alert.message}"
    )
    title = alert.rule_description or alert.rule_id or "code scanning alert"
    return IssueText(number=alert.number, title=title, body=body)


def excerpt(root: Path, alert: CodeScanningAlert) -> str:
    """The pointed lines with a few around them, numbered as the file numbers them."""
    target = root / alert.path
    if ".." in alert.path.split("/") or not target.is_file() or target.is_symlink():
        return ""
    lines = target.read_bytes().decode("utf-8", errors="replace").splitlines()
    first = max(1, alert.start_line - EXCERPT_CONTEXT)
    last = min(len(lines), alert.end_line + EXCERPT_CONTEXT)
    return "\n".join(
        f"{n:>5}{'>' if alert.start_line <= n <= alert.end_line else ' '} {lines[n - 1]}"
        for n in range(first, last + 1)
    )


def report_alert(github: GitHubPort, job: Job, title: str, summary: str) -> None:
    """A completed check run on the default branch's head: the only place an alert job can speak."""
    head = github.get_branch(github.get_repository().default_branch)
    if head is None:
        log.warning("job=%s no default branch to report on: %s", job.job_id, summary)
        return
    github.create_check_run(
        CHECK_NAME, head.sha, f"{job.kind.value}:{job.number}",
        CheckOutput(f"Code scanning alert #{job.number}: {title}", summary),
    )


def fix_alert(ctx: JobContext, services: FixServices) -> None:
    job, github, config = ctx.job, ctx.github, ctx.config.config
    if not config.enabled or not config.code_scanning.fix:
        # Not asked for: every repository with the event would otherwise get check runs.
        log.info("job=%s alert #%s: code scanning fixes are off here", job.job_id, job.number)
        return
    try:
        alert = github.get_code_scanning_alert(job.number)
    except GitHubError as error:
        if error.status != 403:
            raise
        report_alert(github, job, "permission needed", GRANT)
        return
    reason = wanted(alert, config.code_scanning)
    if reason:
        log.info("job=%s alert #%s not fixed: %s", job.job_id, job.number, reason)
        return
    refusal = ctx.take_quota(ctx) if ctx.take_quota is not None else None
    if refusal is not None:
        report_alert(github, job, "not fixed today", refusal)
        return
    repository = github.get_repository()
    head = github.get_branch(repository.default_branch)
    if head is None:
        return
    owner, repo = github.full_name.split("/", 1)
    snapshot = services.snapshots.get(owner, repo, head.sha)
    shown = excerpt(snapshot.root, alert)
    outcome = propose_fix(
        snapshot.root,
        github.full_name,
        alert_issue_text(alert),
        services.model,
        services.tokenizer,
        services.context_tokens,
        limits_for(config, services.candidates, snapshot.root),
        progress=lambda message: log.info("job=%s %s", job.job_id, message),
        # The alert's file first: the tool named it, no guess is better evidence.
        ranked_first=[alert.path],
        render_prompt=partial(
            render_alert_prompt, path=alert.path, first=alert.start_line,
            last=alert.end_line, excerpt=shown,
        ),
        timer=services.timer,
        verify=verifier_for(services.verification, config),
    )
    if outcome.status is not FixStatus.PROPOSED or outcome.proposal is None:
        report_alert(github, job, "no fix", f"No pull request this time: {outcome.reason}")
        return
    ref = AlertRef(
        number=alert.number, url=alert.html_url, rule=alert.rule_id, tool=alert.tool,
        location=f"{alert.path}:{alert.start_line}-{alert.end_line}",
        title=alert.rule_description or alert.rule_id,
    )
    try:
        with services.timer(Stage.PUBLISH):
            pull = publish_alert_pr(github, ref, outcome.proposal, repository.default_branch, head)
    except PublishRefused as error:
        report_alert(github, job, "not published", str(error))
        return
    report_pushed(github, job, pull.head_sha, outcome.proposal,
                  f"Draft pull request #{pull.number}: {pull.html_url}")
    log.info("job=%s alert #%s published %s", job.job_id, alert.number, pull.html_url)
