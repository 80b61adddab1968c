"""`iquest redeliver [--since 72h] [--dry-run]`: ask GitHub once for each delivery that never arrived."""

from __future__ import annotations

import argparse
import sys

from workers.operations.redelivery import parse_duration


def _duration(text: str):  # type: ignore[no-untyped-def]
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "redeliver", help="ask GitHub to redeliver the App's failed deliveries, once each"
    )
    parser.add_argument(
        "--since", type=_duration, default=parse_duration("72h"),
        help="how far back to look (72h, 30m, 3d; GitHub keeps about three days)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be asked for, ask nothing"
    )


def run(args: argparse.Namespace) -> int:
    from workers.config import Settings, SettingsError
    from workers.operations.redelivery import recover_deliveries
    from workers.operations.redis_server import resolve_redis
    from workers.runtime import Runtime

    settings = Settings()
    try:
        settings.require_app_credentials()
    except SettingsError as error:
        print(f"iquest redeliver: {error}", file=sys.stderr)
        return 2
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    try:
        runtime = Runtime.build(settings, endpoint.url)
        report = recover_deliveries(
            runtime.deliveries, runtime.redis, since=args.since, dry_run=args.dry_run
        )
    finally:
        endpoint.stop()
    verb = "would redeliver" if args.dry_run else "redelivered"
    for delivery in report.asked:
        print(f"{verb}: {delivery.describe()}")
    for delivery in report.already_asked:
        print(f"already asked: {delivery.describe()}")
    for delivery, error in report.errors:
        print(f"refused: {delivery.describe()}: {error}")
    print(
        f"{report.scanned} attempts read; {len(report.asked)} {verb}, "
        f"{len(report.already_asked)} already asked, {len(report.errors)} refused",
        file=sys.stderr,
    )
    return 1 if report.errors else 0
