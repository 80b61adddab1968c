"""Start-up of the long-running commands: logging, clean SIGTERM, settings that must be present."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.config import Settings

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _TextFormatter(logging.Formatter):
    """The plain format, with the running job's ids appended when there is a job."""

    def format(self, record: logging.LogRecord) -> str:
        from workers.operations.logcontext import JOB_FIELDS

        line = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}" for name in JOB_FIELDS if hasattr(record, name)
        )
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


def build_log_handler(settings: Settings, stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    """A handler in the configured format that adds job ids and scrubs secrets."""
    from workers.config import LogFormat
    from workers.operations.logcontext import JobContextFilter, RedactingFilter, Redactor

    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if settings.log_format is LogFormat.JSON:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_TextFormatter(_TEXT_FORMAT))
    handler.addFilter(JobContextFilter())
    handler.addFilter(RedactingFilter(Redactor(settings.secret_values())))
    return handler


def configure_logging(settings: Settings | None = None) -> None:
    from workers.config import Settings

    settings = settings if settings is not None else Settings()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(build_log_handler(settings))
    root.setLevel(settings.log_level.upper())
    # Python warnings (Celery's, the libraries') become log lines in the same format.
    logging.captureWarnings(True)
    # httpx logs every request URL at INFO; keep our own lines readable.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks (embedded Redis shutdown) run.

    uvicorn re-raises the signal it caught after shutting down; with the default handler
    that would kill the process before our cleanup.
    """
    import signal

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def start_long_running(command: str, require: str):  # type: ignore[no-untyped-def]
    """Settings for `iquest COMMAND`, or None after saying on stderr what is missing.

    `require` names the Settings method that checks what this command cannot run without.
    """
    from workers.config import Settings, SettingsError

    settings = Settings()
    configure_logging(settings)
    exit_cleanly_on_sigterm()
    try:
        getattr(settings, require)()
    except SettingsError as error:
        print(f"iquest {command}: {error}", file=sys.stderr)
        return None
    return settings
