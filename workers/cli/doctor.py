"""`iquest doctor [--json]`: what is wrong with this deployment, one line per part, with the fix."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor", help="check settings, Redis, the GitHub App, the model server, the sandbox"
    )
    parser.add_argument("--json", action="store_true",
                        help='print {"ok": bool, "checks": [...]} instead of the table')


def run(args: argparse.Namespace) -> int:
    from workers.doctor.checks import run_checks
    from workers.doctor.report import as_json, as_table, healthy

    checks = run_checks()
    print(as_json(checks) if args.json else as_table(checks), flush=True)
    return 0 if healthy(checks) else 1
