"""`iquest beat`: the scheduler of periodic tasks (missed-delivery recovery); run exactly one."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("beat", help="run the scheduler of periodic tasks")
    parser.add_argument("--loglevel", default="INFO")


def run(args: argparse.Namespace) -> int:
    from workers.celery_app import create_celery
    from workers.cli.logs import configure_logging, exit_cleanly_on_sigterm
    from workers.config import Settings
    from workers.operations.periodic import beat_schedule
    from workers.operations.redis_server import resolve_redis

    # The scheduler only sends messages; the worker that runs them needs the App's key.
    configure_logging()
    exit_cleanly_on_sigterm()
    settings = Settings()
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    app = create_celery(settings, endpoint.url)
    app.conf.beat_schedule = beat_schedule(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # A second scheduler is harmless (the recovery records what it asked for in Redis)
        # but doubles the reads of the delivery log: run one.
        app.Beat(
            schedule=str(settings.data_dir / "beat-schedule"),
            loglevel=args.loglevel,
        ).run()
    finally:
        endpoint.stop()
    return 0
