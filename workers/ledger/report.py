"""`iquest report`: what became of the fixes, from the ledger (totals, by kind, by repository)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from string import Template
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from workers.ledger.models import Fix
from workers.ledger.store import OutcomeState, utc

_SINCE = re.compile(r"^(\d+)([hdw])$")
_UNIT = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """`30d`, `72h`, `4w` → a timedelta; anything else is a clear error."""
    match = _SINCE.match(text.strip())
    if not match:
        raise ValueError(f"--since takes a number and h, d or w (e.g. 30d), not '{text}'")
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Tally:
    fixes: int
    verified: int
    open: int
    merged: int
    closed: int
    edited_before_merge: int
    reverted: int
    suggestions_committed: int
    median_hours_to_merge: float | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def tally(fixes: list[Fix]) -> Tally:
    hours = [
        (utc(f.merged_at) - utc(f.created_at)).total_seconds() / 3600  # type: ignore[operator]
        for f in fixes
        if f.state == OutcomeState.MERGED and f.merged_at is not None
    ]
    return Tally(
        fixes=len(fixes),
        verified=sum(f.verified for f in fixes),
        open=sum(f.state == OutcomeState.OPEN for f in fixes),
        merged=sum(f.state == OutcomeState.MERGED for f in fixes),
        closed=sum(f.state == OutcomeState.CLOSED for f in fixes),
        # Edited before merge counts merged fixes only: an edit on a closed one changed nothing.
        edited_before_merge=sum(f.edited_before_merge and f.state == OutcomeState.MERGED for f in fixes),
        reverted=sum(f.reverted_at is not None for f in fixes),
        suggestions_committed=sum(f.suggestions_committed for f in fixes),
        median_hours_to_merge=round(statistics.median(hours), 2) if hours else None,
    )


def select_fixes(engine: Engine, since: datetime | None, repository: str | None,
                 until: datetime | None = None) -> list[Fix]:
    """Fixes published in [since, until) (either end open when None), of one repository or all."""
    query = select(Fix).order_by(Fix.id)
    if since is not None:
        query = query.where(Fix.created_at >= since)
    if until is not None:
        query = query.where(Fix.created_at < until)
    if repository:
        query = query.where(Fix.repository == repository.lower())
    with Session(engine) as session:
        return list(session.scalars(query))


def build_report(fixes: list[Fix]) -> dict[str, Any]:
    """The `--json` shape: totals, then the same numbers per kind and per repository."""
    by_kind: dict[str, list[Fix]] = {}
    by_repo: dict[str, list[Fix]] = {}
    for fix in fixes:
        by_kind.setdefault(fix.kind, []).append(fix)
        by_repo.setdefault(fix.repository, []).append(fix)
    return {
        "totals": tally(fixes).as_json(),
        "by_kind": {kind: tally(group).as_json() for kind, group in sorted(by_kind.items())},
        "repositories": {repo: tally(group).as_json() for repo, group in sorted(by_repo.items())},
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _row(name: str, t: dict[str, Any]) -> str:
    median = t["median_hours_to_merge"]
    decided = t["merged"] + t["closed"]
    return (
        f"| {name} | {t['fixes']} | {_percent(t['verified'], t['fixes'])} | "
        f"{_percent(t['merged'], decided)} | {_percent(t['edited_before_merge'], t['merged'])} | "
        f"{_percent(t['reverted'], t['merged'])} | "
        f"{t['suggestions_committed']} | "
        f"{'–' if median is None else f'{median:.1f} h'} |"
    )


def render_report(report: dict[str, Any], since_text: str) -> str:
    """The human table (a template file): merged % is of the fixes people decided on."""
    rows = [_row("all", report["totals"])]
    rows += [_row(f"kind: {k}", t) for k, t in report["by_kind"].items()]
    rows += [_row(r, t) for r, t in report["repositories"].items()]
    template = Template(resources.files("workers.ledger").joinpath("report.md").read_text())
    return template.substitute(since=since_text, rows="\n".join(rows),
                               open=report["totals"]["open"])
