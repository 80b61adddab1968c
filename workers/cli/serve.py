"""`iquest serve`: the webhook receiver and API under uvicorn."""

from __future__ import annotations

import argparse
import os


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="run the webhook receiver and API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")


def run(args: argparse.Namespace) -> int:
    import sys

    import uvicorn

    from service.app import create_app
    from service.manifest import ManifestError, load_manifest
    from workers.cli.logs import start_long_running
    from workers.operations.redis_server import resolve_redis

    settings = start_long_running("serve", "require_webhook_secret")
    if settings is None:
        return 2
    try:
        load_manifest()  # a broken install fails here, not as a 404 on /setup later
    except ManifestError as error:
        print(f"iquest serve: {error}", file=sys.stderr)
        return 2
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    try:
        if args.workers > 1:
            # Worker processes build their own app from the environment.
            os.environ["IQUEST_REDIS_URL"] = endpoint.url
            uvicorn.run(
                "service.asgi:build", factory=True, host=args.host, port=args.port,
                workers=args.workers,
                access_log=False, log_level="warning",
            )
        else:
            app = create_app(settings, endpoint.url)
            uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    finally:
        endpoint.stop()
    return 0
