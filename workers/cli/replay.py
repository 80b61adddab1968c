"""`iquest replay FILE --event NAME [--url URL]`: sign and POST a saved payload to a receiver."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("replay", help="sign and POST a saved webhook payload")
    parser.add_argument("file", type=Path)
    parser.add_argument("--event", required=True, help="the X-GitHub-Event name, e.g. issues")
    parser.add_argument("--url", default="http://127.0.0.1:3000/api/github/webhooks")
    parser.add_argument("--delivery", default=None, help="X-GitHub-Delivery (default: a new UUID)")


def run(args: argparse.Namespace) -> int:
    import httpx

    from service.signature import sign
    from workers.config import Settings, SettingsError

    try:
        secret = Settings().require_webhook_secret()
        body = args.file.read_bytes()
    except SettingsError as error:
        print(f"iquest replay: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"iquest replay: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/iquest-replay",
        "X-GitHub-Event": args.event,
        "X-GitHub-Delivery": args.delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
    }
    try:
        response = httpx.post(args.url, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        print(f"iquest replay: {args.url}: {error}", file=sys.stderr)
        return 1
    print(f"{response.status_code} {response.text}")
    return 0 if response.is_success else 1
