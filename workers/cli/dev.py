"""`iquest dev` (what `make run` starts): embedded Redis + receiver + one worker, in the foreground."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ENV_FILE = Path(".env")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dev", help="run Redis, the receiver and one worker together")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)


def ensure_webhook_secret(env_file: Path = ENV_FILE) -> None:
    """Write a random webhook secret into .env when none is configured, and say so."""
    if os.environ.get("IQUEST_WEBHOOK_SECRET"):
        return
    existing = env_file.read_text() if env_file.exists() else ""
    if any(line.startswith("IQUEST_WEBHOOK_SECRET=") for line in existing.splitlines()):
        return
    secret = secrets.token_hex(32)
    with env_file.open("a") as handle:
        if existing and not existing.endswith("\n"):
            handle.write("\n")
        handle.write(f"IQUEST_WEBHOOK_SECRET={secret}\n")
    env_file.chmod(0o600)
    print(
        f"iquest dev: wrote a new random IQUEST_WEBHOOK_SECRET to {env_file.resolve()}; "
        "enter the same value as the webhook secret of your GitHub App.",
        flush=True,
    )


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workers.cli", *args], env=env)


def run(args: argparse.Namespace) -> int:
    from workers.cli.logs import configure_logging
    from workers.config import Settings, SettingsError
    from workers.redis_server import resolve_redis

    configure_logging()
    ensure_webhook_secret()
    settings = Settings()
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    env = {**os.environ, "IQUEST_REDIS_URL": endpoint.url}
    print(f"iquest dev: redis at {endpoint.url}", flush=True)
    children = [_spawn(["serve", "--host", args.host, "--port", str(args.port)], env)]
    try:
        settings.check_worker_credentials()
    except SettingsError as error:
        print(
            f"iquest dev: worker not started: {error} Deliveries are still verified and "
            "queued in Redis; they run once a worker starts.",
            flush=True,
        )
    else:
        if not settings.app_credentials_given():
            print(
                "iquest dev: no GitHub App credentials: the worker runs POST /repair jobs "
                "only; webhook deliveries are verified and queued, and run once a worker "
                "with IQUEST_APP_ID and the private key starts.",
                flush=True,
            )
        children.append(_spawn(["worker"], env))
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    print(f"iquest dev: {child.args[3]} exited with {child.returncode}", flush=True)
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        endpoint.stop()
        print("iquest dev: stopped", flush=True)
    return exit_code
