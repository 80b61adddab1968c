"""`iquest report [--since 30d] [--repo OWNER/NAME] [--json]`: what became of the app's fixes."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime


def _since(text: str):  # type: ignore[no-untyped-def]
    from workers.ledger.report import parse_since

    try:
        return parse_since(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _repo(text: str) -> str:
    owner, _, name = text.partition("/")
    if not owner or not name or "/" in name:
        raise argparse.ArgumentTypeError(f"--repo takes OWNER/NAME, not '{text}'")
    return text


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="what became of the fixes (the outcome ledger)")
    parser.add_argument("--since", type=_since, default=None,
                        help="only fixes published this recently (30d, 72h, 4w; default 30d)")
    parser.add_argument("--repo", type=_repo, default=None, help="only this repository (OWNER/NAME)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from workers.config import Settings
    from workers.ledger.database import LedgerError, ledger_url, make_engine, require_current
    from workers.ledger.report import build_report, parse_since, render_report, select_fixes

    since = args.since if args.since is not None else parse_since("30d")
    settings = Settings()
    try:
        engine = make_engine(ledger_url(settings.database_url, settings.data_dir))
        try:
            require_current(engine)
            fixes = select_fixes(engine, datetime.now(UTC) - since, args.repo)
        finally:
            engine.dispose()
    except (LedgerError, SQLAlchemyError) as error:
        print(f"iquest report: {error}", file=sys.stderr)
        return 1
    report = build_report(fixes)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=False))
    else:
        print(render_report(report, _describe(since)))
    return 0


def _describe(since) -> str:  # type: ignore[no-untyped-def]
    hours = since.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours % 24 == 0 else f"{hours:g} hours"
