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


def _ensure_random(name: str, purpose: str, env_file: Path) -> None:
    """Write a random value for `name` into .env when none is configured, and say so."""
    if os.environ.get(name):
        return
    existing = env_file.read_text() if env_file.exists() else ""
    if any(line.startswith(f"{name}=") for line in existing.splitlines()):
        return
    secret = secrets.token_hex(32)
    with env_file.open("a") as handle:
        if existing and not existing.endswith("\n"):
            handle.write("\n")
        handle.write(f"{name}={secret}\n")
    env_file.chmod(0o600)
    print(f"iquest dev: wrote a new random {name} to {env_file.resolve()}; {purpose}", flush=True)


def ensure_webhook_secret(env_file: Path = ENV_FILE) -> None:
    _ensure_random("IQUEST_WEBHOOK_SECRET",
                   "enter the same value as the webhook secret of your GitHub App.", env_file)


def ensure_repair_token(env_file: Path = ENV_FILE) -> None:
    """/repair is served only with its own token; a laptop gets one, written where it is read."""
    _ensure_random("IQUEST_REPAIR_TOKEN",
                   "send it as `Authorization: Bearer <token>` to POST /repair and GET /jobs.",
                   env_file)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workers.cli", *args], env=env)


def _app_credentials_ready() -> bool:
    """Whether a worker started now would act as the App; re-reads the environment and .env."""
    from workers.config import Settings, SettingsError

    try:
        settings = Settings()
        return settings.app_credentials_given() and bool(settings.require_app_credentials())
    except (SettingsError, ValueError):
        return False


def _stop(child: subprocess.Popen, timeout: float = 300) -> None:
    # A worker's warm shutdown lets running jobs finish (IQUEST_WORKER_SHUTDOWN_SECONDS).
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _start_proxy(channel_url: str, target_url: str):  # type: ignore[no-untyped-def]
    import threading

    from workers.app.webhook_proxy import WebhookProxy

    proxy = WebhookProxy(channel_url, target_url)
    threading.Thread(target=proxy.run, name="webhook-proxy", daemon=True).start()
    print(f"iquest dev: forwarding webhook deliveries from {channel_url} to {target_url}",
          flush=True)
    return proxy


def _doctor_in_background(redis_url: str) -> None:
    """`iquest doctor`'s table once at start, without delaying the receiver or failing dev.

    The model checks that generate tokens are left out; `iquest doctor` runs them all.
    """
    import threading

    def report() -> None:
        from workers.doctor.checks import run_checks
        from workers.doctor.report import as_table

        try:
            table = as_table(run_checks(redis_url, completions=False))
        except Exception as error:  # noqa: BLE001 - a broken check must never stop dev
            table = f"could not run the checks: {error!r}"
        print(f"iquest dev: doctor (full check: iquest doctor)\n{table}", flush=True)

    threading.Thread(target=report, name="doctor", daemon=True).start()


def run(args: argparse.Namespace) -> int:
    from workers.cli.logs import configure_logging
    from workers.cli.serve import listening_url
    from workers.config import Settings, SettingsError
    from workers.operations.redis_server import resolve_redis

    configure_logging()
    ensure_webhook_secret()
    ensure_repair_token()
    settings = Settings()
    # The outcome ledger's schema first, as compose and Kubernetes do before the receiver.
    from workers.ledger.database import LedgerError, ledger_url, upgrade

    try:
        revision = upgrade(ledger_url(settings.database_url, settings.data_dir))
        print(f"iquest dev: ledger database at revision {revision}", flush=True)
    except Exception as error:  # the app runs without the ledger; say why it is not recording
        if not isinstance(error, LedgerError):
            error = LedgerError(f"{type(error).__name__}: {error}")
        print(f"iquest dev: the outcome ledger is not migrated: {error}", flush=True)
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    env = {**os.environ, "IQUEST_REDIS_URL": endpoint.url}
    base = settings.public_url or listening_url(args.host, args.port)
    # One setup token for this run, shared with the receiver, printed in the setup URL.
    setup_token = (settings.setup_token.get_secret_value() if settings.setup_token
                   else secrets.token_urlsafe(24))
    env["IQUEST_SETUP_TOKEN"] = setup_token
    print(f"iquest dev: redis at {endpoint.shown}", flush=True)
    _doctor_in_background(endpoint.url)
    children = {"serve": _spawn(["serve", "--host", args.host, "--port", str(args.port)], env)}
    proxy = None
    if settings.webhook_proxy_url:
        proxy = _start_proxy(settings.webhook_proxy_url, f"{base}/api/github/webhooks")
    # Whether the running worker acts as the App; until then it serves POST /repair only.
    app_worker = False
    try:
        settings.check_worker_credentials()
    except SettingsError as error:
        print(
            f"iquest dev: worker not started: {error} Deliveries are still verified and "
            "queued in Redis; they run once a worker starts.",
            flush=True,
        )
        app_worker = True  # a half-configured App is the user's to fix, not /setup's
    else:
        app_worker = settings.app_credentials_given()
        if not app_worker:
            print(
                "iquest dev: no GitHub App credentials: the worker runs POST /repair jobs "
                "only; webhook deliveries are verified and queued meanwhile. To register the "
                f"GitHub App, open {base}/setup?token={setup_token} — the worker then restarts "
                "as the App's by itself.",
                flush=True,
            )
        children["worker"] = _spawn(["worker"], env)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    next_check = 0.0
    try:
        while not stopping:
            if not app_worker and time.monotonic() >= next_check:
                # /setup writes .env from the receiver process; pick the credentials up here.
                next_check = time.monotonic() + 1.0
                if _app_credentials_ready():
                    app_worker = True
                    if "worker" in children:
                        _stop(children.pop("worker"))
                    children["worker"] = _spawn(["worker"], env)
                    print("iquest dev: GitHub App credentials found; worker started as the App's",
                          flush=True)
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"iquest dev: {name} exited with {child.returncode}", flush=True)
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.2)
    finally:
        if proxy is not None:
            proxy.stop()
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            _stop(child, timeout=15)
        endpoint.stop()
        print("iquest dev: stopped", flush=True)
    return exit_code
