"""The ids every log line of a job carries, set once per job in a context variable, and the
filters that put them on each record and scrub secrets from it."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

from workers.intake.jobs import Job

# The fields, in the order the text format shows them.
JOB_FIELDS = ("delivery_id", "job_id", "installation", "repository", "target", "kind")
_job_fields: ContextVar[Mapping[str, str]] = ContextVar(
    "iquest_job_log_fields", default=MappingProxyType({})
)

REDACTED = "[REDACTED]"
# Credentials that look like credentials, whoever logs them: GitHub tokens (installation,
# personal, OAuth, user-to-server, refresh, fine-grained), PEM private keys (also as one
# JSON-escaped line), JWTs (the App's), and the value after "Bearer".
_TOKEN_PATTERNS = (
    r"\bgh[opsur]_[A-Za-z0-9]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+",
    r"(?<=[Bb]earer )[A-Za-z0-9._~+/=-]{8,}",
)
# Shorter configured secrets would match ordinary words.
_MIN_SECRET_LENGTH = 6


def job_fields(job: Job) -> dict[str, str]:
    """The ids of `job`; a /repair job has no installation or repository, so those are left out."""
    fields = {
        "delivery_id": job.delivery_id,
        "job_id": job.job_id,
        "installation": None if job.installation_id is None else str(job.installation_id),
        "repository": job.repo_full_name,
        "target": job.target_key,
        "kind": job.kind.value,
    }
    return {name: value for name, value in fields.items() if value is not None}


@contextlib.contextmanager
def job_log_context(job: Job) -> Iterator[None]:
    """Every line logged inside, by any module, carries this job's ids."""
    token = _job_fields.set(job_fields(job))
    try:
        yield
    finally:
        _job_fields.reset(token)


def current_job_fields() -> Mapping[str, str]:
    return _job_fields.get()


class JobContextFilter(logging.Filter):
    """Copies the running job's ids onto each record (JSON lines show them as fields)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _job_fields.get().items():
            setattr(record, name, value)
        return True


class Redactor:
    """Replaces configured secrets and anything shaped like a credential with [REDACTED]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._literal: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Redact these too from now on (secrets saved by /setup after start)."""
        for secret in secrets:
            for variant in (secret, secret.strip(), secret.replace("\n", "\\n")):
                if len(variant) >= _MIN_SECRET_LENGTH and re.escape(variant) not in self._literal:
                    self._literal.append(re.escape(variant))
        # Longest first, so a secret containing another is removed whole.
        self._literal.sort(key=len, reverse=True)
        self._pattern = re.compile("|".join([*self._literal, *_TOKEN_PATTERNS]), re.S)

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Scrubs the message, its arguments, the traceback and string extras before formatting."""

    _traceback = logging.Formatter()

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Found by duck typing (service/setup_page.py may not import this module)."""
        self._redact.add(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what there is rather than drop the line
            message = str(record.msg)
        record.msg, record.args = self._redact(message), None
        if record.exc_info:
            # Formatters fall back to exc_text (python-json-logger too) when exc_info is gone.
            record.exc_text = self._traceback.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, self._redact(value))
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

