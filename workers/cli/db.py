"""`iquest db upgrade`: bring the outcome ledger's database schema up to date (Alembic)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="the outcome ledger's database")
    actions = parser.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser("upgrade", help="apply the ledger's migrations (IQUEST_DATABASE_URL)")
    upgrade.add_argument("--revision", default="head", help="migrate to this revision (default: head)")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from workers.config import Settings
    from workers.ledger.database import LedgerError, ledger_url, upgrade

    settings = Settings()
    try:
        url = ledger_url(settings.database_url, settings.data_dir)
        revision = upgrade(url, args.revision)
    except (LedgerError, SQLAlchemyError) as error:
        print(f"iquest db upgrade: {error}", file=sys.stderr)
        return 1
    from sqlalchemy.engine import make_url

    print(f"ledger at revision {revision or 'none'} ({make_url(url).render_as_string(hide_password=True)})")
    return 0
