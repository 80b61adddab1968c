"""Logging for the long-running commands: one line per event, secrets never formatted in."""

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
