"""The GitHub App's credentials on disk: `.env` entries and a private-key file, written once,
atomically, mode 0600; and the webhook secret the receiver checks, reloaded when `.env` changes."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from workers.config import Settings, SettingsError

ENV_FILE = Path(".env")
KEY_FILE = Path("github-app.pem")
# Lines the registration replaces; a dev placeholder webhook secret may precede the App.
REPLACED = ("IQUEST_APP_ID=", "IQUEST_WEBHOOK_SECRET=", "IQUEST_PRIVATE_KEY_FILE=")


class AlreadyConfigured(Exception):
    """An App is configured already; registration never overwrites it."""


@dataclass(frozen=True)
class AppCredentials:
    app_id: int
    webhook_secret: str = field(repr=False)
    private_key_pem: str = field(repr=False)


def _write_private(path: Path, data: str) -> Path:
    """Write `data` to a new temporary file beside `path`, mode 0600 from the first byte."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


class CredentialsStore:
    """Where `iquest` keeps the App it registered: `.env` and the key file, in the working folder."""

    def __init__(self, env_file: Path = ENV_FILE, key_file: Path = KEY_FILE) -> None:
        self.env_file, self.key_file = env_file, key_file

    def settings(self) -> Settings:
        """Settings as a process started now would read them (environment, then the env file)."""
        return Settings(_env_file=self.env_file)

    def configured(self) -> list[str]:
        """What already configures an App (empty when nothing does); names, never values."""
        try:
            settings = self.settings()
        except ValidationError as error:
            # A half-edited .env is not "nothing configured": refuse rather than overwrite.
            fields = ", ".join(str(e["loc"][0]).upper() for e in error.errors() if e["loc"])
            return [f"{self.env_file}, which does not parse ({fields or 'see the logs'})"]
        found = []
        if settings.app_id is not None:
            found.append(f"IQUEST_APP_ID={settings.app_id}")
        if settings.private_key is not None and settings.private_key.get_secret_value():
            found.append("IQUEST_PRIVATE_KEY")
        if settings.private_key_file is not None:
            found.append(f"IQUEST_PRIVATE_KEY_FILE={settings.private_key_file}")
        if self.key_file.exists():
            found.append(f"the key file {self.key_file}")
        return found

    def stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.env_file.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def save(self, creds: AppCredentials) -> None:
        """Write the key file, then `.env`; refuse (AlreadyConfigured) rather than overwrite."""
        if self.configured():
            raise AlreadyConfigured(", ".join(self.configured()))
        tmp = _write_private(self.key_file, creds.private_key_pem)
        try:
            # link() fails when the name exists: two racing registrations cannot both win.
            os.link(tmp, self.key_file)
        except FileExistsError as error:
            raise AlreadyConfigured(f"the key file {self.key_file}") from error
        finally:
            tmp.unlink()
        existing = self.env_file.read_text() if self.env_file.exists() else ""
        kept = [line for line in existing.splitlines() if not line.startswith(REPLACED)]
        kept += [
            f"IQUEST_APP_ID={creds.app_id}",
            f"IQUEST_WEBHOOK_SECRET={creds.webhook_secret}",
            f"IQUEST_PRIVATE_KEY_FILE={self.key_file}",
        ]
        tmp = _write_private(self.env_file, "\n".join(kept) + "\n")
        os.replace(tmp, self.env_file)
        with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
            dir_fd = os.open(self.env_file.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


class LiveWebhookSecret:
    """The secret deliveries are checked with; follows `.env` when a registration rewrites it.

    The file is looked at only after a signature fails, so the hot path costs nothing extra.
    """

    def __init__(self, initial: bytes, store: CredentialsStore) -> None:
        self._value, self._store, self._stamp = initial, store, store.stamp()

    def __call__(self) -> bytes:
        return self._value

    def set(self, value: bytes) -> None:
        self._value, self._stamp = value, self._store.stamp()

    def reload(self) -> bool:
        """Re-read the secret if the env file changed since last seen; True when it differs."""
        stamp = self._store.stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            value = self._store.settings().require_webhook_secret()
        except (SettingsError, ValidationError):
            return False
        changed, self._value = value != self._value, value
        return changed
