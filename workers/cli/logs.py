"""Start-up of the long-running commands: logging, clean SIGTERM, settings that must be present."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("IQUEST_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # httpx logs every request URL at INFO; keep our own lines readable.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks (embedded Redis shutdown) run.

    uvicorn re-raises the signal it caught after shutting down; with the default handler
    that would kill the process before our cleanup.
    """
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def start_long_running(command: str, require: str):  # type: ignore[no-untyped-def]
    """Settings for `iquest COMMAND`, or None after saying on stderr what is missing.

    `require` names the Settings method that checks what this command cannot run without.
    """
    import sys

    from workers.config import Settings, SettingsError

    configure_logging()
    exit_cleanly_on_sigterm()
    settings = Settings()
    try:
        getattr(settings, require)()
    except SettingsError as error:
        print(f"iquest {command}: {error}", file=sys.stderr)
        return None
    return settings
