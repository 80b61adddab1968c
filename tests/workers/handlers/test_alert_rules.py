"""Which alerts `code_scanning:` asks to fix, and how an alert reads as the issue to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.github.port import CodeScanningAlert
from workers.handlers.fix_alert import alert_issue_text, excerpt, wanted
from workers.intake.repo_config import CodeScanningConfig, Severity


def alert(**changes) -> CodeScanningAlert:
    base = dict(
        number=4, state="open", html_url="https://github.com/a/b/security/code-scanning/4",
        rule_id="py/clear-text-logging", rule_description="Clear-text logging of sensitive data",
        severity="error", security_severity="", tool="CodeQL", message="This logs a password.",
        path="app/log.py", start_line=3, end_line=3,
    )
    return CodeScanningAlert(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "settings", "why"),
    [
        ({}, CodeScanningConfig(fix=False), "`code_scanning.fix` is not on"),
        ({}, CodeScanningConfig(fix=True), ""),
        ({"state": "dismissed"}, CodeScanningConfig(fix=True), "the alert is dismissed"),
        ({"severity": "note"}, CodeScanningConfig(fix=True), "its severity (note) is below"),
        # A security severity counts on the same scale: high = error.
        ({"severity": "warning", "security_severity": "high"},
         CodeScanningConfig(fix=True, min_severity=Severity.ERROR), ""),
        ({"security_severity": "medium", "severity": ""},
         CodeScanningConfig(fix=True, min_severity=Severity.CRITICAL), "its severity (medium)"),
        ({"tool": "Semgrep"}, CodeScanningConfig(fix=True, tools=["codeql", "ruff"]), "its tool (Semgrep)"),
        ({"tool": "Ruff"}, CodeScanningConfig(fix=True, tools=["codeql", "ruff"]), ""),
        ({"path": ""}, CodeScanningConfig(fix=True), "no location"),
    ],
)
def test_wanted(changes: dict, settings: CodeScanningConfig, why: str) -> None:
    reason = wanted(alert(**changes), settings)
    assert (why in reason and bool(reason)) if why else reason == ""


def test_the_alert_as_an_issue_and_its_marked_lines(tmp_path: Path) -> None:
    text = alert_issue_text(alert())
    assert text.title == "Clear-text logging of sensitive data"
    assert "Rule: py/clear-text-logging" in text.body and "Location: app/log.py lines 3-3" in text.body
    (tmp_path / "app").mkdir()
    (tmp_path / "app/log.py").write_text("import logging\n\nlogging.info(password)\nx = 1\n")
    shown = excerpt(tmp_path, alert()).splitlines()
    assert shown[0] == "    1  import logging" and shown[2] == "    3> logging.info(password)"
    assert excerpt(tmp_path, alert(path="../etc/passwd")) == ""
