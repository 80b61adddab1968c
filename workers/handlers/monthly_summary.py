"""The monthly summary: last calendar month's outcomes as one comment on the issue a repository
names in `.github/iquest.yml` (`monthly_summary: {issue: N}`; unset, the default: nothing).

In: the ledger (its repositories, the installation that published their fixes, what was posted
already, the figures), a way to reach one repository's GitHub port by installation, and today's
date (a daily check). Out: at most one comment per repository and month, recorded in the ledger
in the same transaction as the post, and one outcome per repository for the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from importlib import resources
from string import Template
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from workers.github.port import GitHubError, GitHubPort
from workers.intake.outcomes import FixKind
from workers.intake.repo_config import CONFIG_PATH, parse_repo_config
from workers.ledger.database import LedgerError
from workers.ledger.report import build_report, select_fixes
from workers.ledger.store import Ledger

log = logging.getLogger("iquest.handlers.monthly_summary")


class SummaryResult(StrEnum):
    POSTED = "posted"
    ALREADY_POSTED = "already_posted"
    OFF = "off"
    INVALID_SETTING = "invalid_setting"
    FAILED = "failed"


@dataclass(frozen=True)
class SummaryOutcome:
    repository: str
    result: SummaryResult
    detail: str = ""


def previous_month(today: date) -> tuple[datetime, datetime]:
    """The calendar month before `today`'s, as [start, end) in UTC."""
    end = datetime(today.year, today.month, 1, tzinfo=UTC)
    return (end - timedelta(days=1)).replace(day=1), end


def summary_marker(month: str) -> str:
    # Keyed by the month: a post the ledger failed to record is found and edited, not repeated.
    return f"<!-- iquest:monthly-summary month={month} -->"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _row(name: str, t: dict[str, Any], suggestion_reviews: int) -> str:
    decided, median = t["merged"] + t["closed"], t["median_hours_to_merge"]
    return (
        f"| {name} | {t['fixes']} | {_percent(t['verified'], t['fixes'])} | "
        f"{_percent(t['merged'], decided)} | {_percent(t['edited_before_merge'], t['merged'])} | "
        f"{_percent(t['reverted'], t['merged'])} | "
        f"{_percent(t['suggestions_committed'], suggestion_reviews)} | "
        f"{'–' if median is None else f'{median:.1f} h'} |"
    )


def render_summary(report: dict[str, Any], start: datetime, as_of: datetime) -> str:
    """The comment (workers/templates/monthly_summary.md): all fixes, then each kind."""
    kinds: dict[str, dict[str, Any]] = report["by_kind"]
    reviews = kinds.get(FixKind.SUGGESTIONS.value, {}).get("fixes", 0)
    rows = [_row("all", report["totals"], reviews)]
    rows += [_row(f"kind: {kind}", t, reviews if kind == FixKind.SUGGESTIONS.value else 0)
             for kind, t in kinds.items()]
    totals = report["totals"]
    template = Template(resources.files("workers.templates").joinpath("monthly_summary.md").read_text())
    return template.substitute(
        marker=summary_marker(start.strftime("%Y-%m")), month_name=start.strftime("%B %Y"),
        fixes=totals["fixes"], plural="" if totals["fixes"] == 1 else "es", open=totals["open"],
        rows="\n".join(rows), as_of=as_of.strftime("%Y-%m-%d %H:%M UTC"),
    ).strip() + "\n"


def post_monthly_summaries(
    ledger: Ledger,
    github_for: Callable[[int, str], GitHubPort],
    now: datetime,
) -> list[SummaryOutcome]:
    """For each repository in the ledger whose settings ask for it, post last month's summary
    unless it was posted already. A repository's failure is logged and does not stop the rest;
    it is tried again at the next check."""
    start, end = previous_month(now.date())
    month = start.strftime("%Y-%m")
    try:
        installations = ledger.installations()
    except (LedgerError, SQLAlchemyError) as error:
        log.error("monthly summary: the ledger cannot be read (run `iquest db upgrade`?): %s", error)
        return []
    outcomes = []
    for repository, installation_id in installations.items():
        try:
            outcome = _summarise(ledger, github_for, repository, installation_id, start, end, now)
        except (GitHubError, LedgerError, SQLAlchemyError) as error:
            outcome = SummaryOutcome(repository, SummaryResult.FAILED, str(error))
        if outcome.result in (SummaryResult.INVALID_SETTING, SummaryResult.FAILED):
            log.warning("monthly summary for %s (%s) not posted: %s", repository, month, outcome.detail)
        else:
            log.info("monthly summary for %s (%s): %s %s", repository, month, outcome.result.value,
                     outcome.detail)
        outcomes.append(outcome)
    return outcomes


def _summarise(
    ledger: Ledger, github_for: Callable[[int, str], GitHubPort], repository: str,
    installation_id: int, start: datetime, end: datetime, now: datetime,
) -> SummaryOutcome:
    month = start.strftime("%Y-%m")
    # Checked first so that, once posted, the month's daily checks cost no GitHub call.
    if ledger.summary_posted(repository, month):
        return SummaryOutcome(repository, SummaryResult.ALREADY_POSTED)
    github = github_for(installation_id, repository)
    loaded = parse_repo_config(github.read_file(CONFIG_PATH))  # the default branch's
    if loaded.error:
        return SummaryOutcome(repository, SummaryResult.INVALID_SETTING, loaded.error)
    setting = loaded.config.monthly_summary
    if setting is None:
        return SummaryOutcome(repository, SummaryResult.OFF)
    report = build_report(select_fixes(ledger.engine, start, repository, until=end))
    body = render_summary(report, start, now)
    posted = ledger.post_summary_once(
        repository, month, setting.issue,
        lambda: github.upsert_marked_comment(setting.issue, summary_marker(month), body).id,
    )
    if not posted:
        return SummaryOutcome(repository, SummaryResult.ALREADY_POSTED)
    return SummaryOutcome(repository, SummaryResult.POSTED, f"on #{setting.issue}")
