"""Code-scanning alert routes: list a ref's alerts and read one (alerts are seeded by tests)."""

from __future__ import annotations

from typing import Any

from ..routing import ApiError, Ctx, Reply, not_found, route
from ..state import CodeScanningAlert, Repo, iso

SECURITY_EVENTS_READ = (("security_events", "read"),)


def shape(ctx: Ctx, repo: Repo, alert: CodeScanningAlert) -> dict[str, Any]:
    api = f"{ctx.shapes.repo_api(repo)}/code-scanning/alerts/{alert.number}"
    html = f"{ctx.shapes.repo_html(repo)}/security/code-scanning/{alert.number}"
    return {
        "number": alert.number,
        "created_at": iso(alert.created_at),
        "updated_at": iso(alert.created_at),
        "url": api,
        "html_url": html,
        "instances_url": f"{api}/instances",
        "state": alert.state,
        "fixed_at": None,
        "dismissed_by": None,
        "dismissed_at": None,
        "dismissed_reason": None,
        "dismissed_comment": None,
        "rule": {
            "id": alert.rule_id,
            "name": alert.rule_id,
            "severity": alert.severity,
            "security_severity_level": alert.security_severity,
            "description": alert.rule_description,
            "tags": ["security"],
        },
        "tool": {"name": alert.tool, "guid": None, "version": "2.0.0"},
        "most_recent_instance": {
            "ref": alert.ref,
            "analysis_key": ".github/workflows/codeql.yml:analyze",
            "environment": "{}",
            "category": ".github/workflows/codeql.yml:analyze",
            "state": alert.state,
            "commit_sha": alert.commit_sha,
            "message": {"text": alert.message},
            "location": {
                "path": alert.path,
                "start_line": alert.start_line,
                "end_line": alert.end_line,
                "start_column": 1,
                "end_column": 1,
            },
            "classifications": [],
        },
    }


def _enabled(repo: Repo) -> None:
    # GitHub answers 404 "no analysis found" for a repository that never uploaded one.
    if not repo.code_scanning_alerts:
        raise ApiError(404, "no analysis found")


@route("get", "/repos/{owner}/{repo}/code-scanning/alerts", perms=SECURITY_EVENTS_READ)
def list_alerts(ctx: Ctx) -> Reply:
    repo = ctx.the_repo
    _enabled(repo)
    ref = ctx.params.get("ref") or f"refs/heads/{repo.default_branch}"
    if not ref.startswith("refs/"):
        ref = f"refs/heads/{ref}"
    state = ctx.params.get("state")
    alerts = [
        a for a in sorted(repo.code_scanning_alerts.values(), key=lambda a: -a.number)
        if a.ref == ref and (state is None or a.state == state)
    ]
    return ctx.page([shape(ctx, repo, a) for a in alerts])


@route("get", "/repos/{owner}/{repo}/code-scanning/alerts/{alert_number}",
       perms=SECURITY_EVENTS_READ)
def get_alert(ctx: Ctx) -> Reply:
    repo = ctx.the_repo
    alert = repo.code_scanning_alerts.get(ctx.params["alert_number"])
    if alert is None:
        raise not_found()
    return Reply(200, shape(ctx, repo, alert))
