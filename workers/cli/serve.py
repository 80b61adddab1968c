"""`iquest serve`: the webhook receiver and API under uvicorn, with the receiver's limits."""

from __future__ import annotations

import argparse
import os
import secrets


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="run the webhook receiver and API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")


def listening_url(host: str, port: int) -> str:
    """The URL this receiver is reached at on this machine, when IQUEST_PUBLIC_URL is unset."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def announce(settings, public_url: str, setup_token: str | None) -> None:  # type: ignore[no-untyped-def]
    """What an operator must know at start: where /setup is, whether /repair is served."""
    if setup_token is not None:
        print(f"iquest serve: no GitHub App configured yet; register it at "
              f"{public_url}/setup?token={setup_token}", flush=True)
    if settings.repair_bearer() is None:
        print("iquest serve: POST /repair and GET /jobs are off (answer 503): set "
              "IQUEST_REPAIR_TOKEN to serve them", flush=True)


def run(args: argparse.Namespace) -> int:
    import sys

    import uvicorn
    from pydantic import SecretStr
    from uvicorn.supervisors import Multiprocess

    from service.app import create_app
    from service.connections import server_config
    from service.manifest import ManifestError, load_manifest
    from service.setup_page import redact_from_now_on
    from workers.app.credentials import CredentialsStore
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
    public_url = (settings.public_url or listening_url(args.host, args.port)).rstrip("/")
    setup_token = None
    if not CredentialsStore().configured():
        setup_token = (settings.setup_token.get_secret_value() if settings.setup_token
                       else secrets.token_urlsafe(24))
    settings = settings.model_copy(update={
        "public_url": public_url,
        "setup_token": SecretStr(setup_token) if setup_token else settings.setup_token,
    })
    announce(settings, public_url, setup_token)
    if setup_token:  # printed once to the terminal above, never to a log line
        redact_from_now_on([setup_token])
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    try:
        if args.workers > 1:
            # Worker processes build their own app from the environment.
            os.environ["IQUEST_REDIS_URL"] = endpoint.url
            os.environ["IQUEST_PUBLIC_URL"] = public_url
            if setup_token:
                os.environ["IQUEST_SETUP_TOKEN"] = setup_token
            config = server_config("service.asgi:build", settings, args.host, args.port,
                                   factory=True, workers=args.workers)
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            app = create_app(settings, endpoint.url)
            # A port already taken: uvicorn logs why and exits with its startup-failure code.
            uvicorn.Server(server_config(app, settings, args.host, args.port)).run()
    finally:
        endpoint.stop()
    return 0
