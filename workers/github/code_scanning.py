"""The code-scanning half of GitHubRepoClient: read alerts (issue 24)."""

from __future__ import annotations

from typing import Any

from workers.github.port import CodeScanningAlert


def _text(data: Any, name: str) -> str:
    # githubkit leaves absent fields as its UNSET sentinel, and GitHub sends null for unset ones.
    value = getattr(data, name, None)
    return value if isinstance(value, str) else ""


def _int(data: Any, name: str) -> int:
    value = getattr(data, name, None)
    return value if isinstance(value, int) else 0


def alert_from(data: Any) -> CodeScanningAlert:
    rule = getattr(data, "rule", None)
    tool = getattr(data, "tool", None)
    instance = getattr(data, "most_recent_instance", None)
    location = getattr(instance, "location", None)
    message = getattr(instance, "message", None)
    start = _int(location, "start_line")
    return CodeScanningAlert(
        number=data.number,
        state=_text(data, "state"),
        html_url=_text(data, "html_url"),
        rule_id=_text(rule, "id"),
        rule_description=_text(rule, "description") or _text(rule, "name"),
        severity=_text(rule, "severity"),
        security_severity=_text(rule, "security_severity_level"),
        tool=_text(tool, "name"),
        message=_text(message, "text"),
        path=_text(location, "path"),
        start_line=start,
        end_line=_int(location, "end_line") or start,
        ref=_text(instance, "ref"),
        commit_sha=_text(instance, "commit_sha"),
    )


class CodeScanningMixin:
    """Needs the host class's `owner`, `repo`, `_rest`, and its `_call`/`_paginate` error mapping."""

    def get_code_scanning_alert(self, number: int) -> CodeScanningAlert:
        data = self._call(self._rest.code_scanning.get_alert, self.owner, self.repo, number)  # type: ignore[attr-defined]
        return alert_from(data)

    def list_code_scanning_alerts(self, ref: str) -> list[CodeScanningAlert]:
        items = self._paginate(  # type: ignore[attr-defined]
            self._rest.code_scanning.list_alerts_for_repo, ref=ref, state="open"  # type: ignore[attr-defined]
        )
        return [alert_from(item) for item in items]
