"""This machine: the sandbox (bubblewrap, user namespaces), the environment builder (uv and
Python interpreters), disk space for the caches, and the database when one is configured."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

from workers.config import Settings
from workers.doctor.report import Check
from workers.environments.build import default_uv
from workers.environments.interpreters import find_interpreters
from workers.sandbox.select import SandboxBackend, build_sandbox

# Below this the snapshot and verify caches start failing jobs; below the warning, soon.
DISK_FAIL_BYTES = 200 << 20
DISK_WARN_BYTES = 2 << 30
_PYTHON = re.compile(r"^python3\.(\d+)$")


def check_sandbox(settings: Settings) -> Check:
    required = settings.sandbox == "bubblewrap"
    if settings.sandbox == "none":
        return Check("sandbox", True, False, "off (IQUEST_SANDBOX=none): fixes are not tested")
    userns = _user_namespaces()
    sandbox = build_sandbox(SandboxBackend(settings.sandbox), settings.data_dir / "sandbox")
    if sandbox.available:
        return Check("sandbox", True, required, f"bubblewrap works as this user; {userns}")
    return Check("sandbox", False, required, f"{sandbox.reason}; {userns}",
                 "install bubblewrap and allow unprivileged user namespaces "
                 "(sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04 "
                 "kernel.apparmor_restrict_unprivileged_userns=0); without it fixes go untested")


def _user_namespaces() -> str:
    limits = Path("/proc/sys/user/max_user_namespaces")
    try:
        count = int(limits.read_text().strip())
    except (OSError, ValueError):
        return "user namespaces: unknown"
    clone = Path("/proc/sys/kernel/unprivileged_userns_clone")
    if clone.exists() and clone.read_text().strip() == "0":
        return "unprivileged user namespaces: off"
    return f"user namespaces: up to {count}" if count else "user namespaces: off"


def check_environments() -> Check:
    """The same look-ups the environment builder makes: uv (the wheel's, else PATH) and the
    interpreters it may choose from."""
    try:
        uv: str | None = str(default_uv())
    except FileNotFoundError:
        uv = None
    versions = [i.minor for i in find_interpreters()]
    detail = f"uv {'at ' + uv if uv else 'missing'}; interpreters: {', '.join(versions) or 'none'}"
    if uv is None:
        return Check("environment builder", False, False, detail,
                     "install uv (https://docs.astral.sh/uv/) so repositories get their own "
                     "virtual environments for tests")
    return Check("environment builder", True, False, detail)


def check_disk(settings: Settings) -> Check:
    folder = settings.data_dir.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    detail = f"{free / (1 << 30):.1f} GiB free under {folder}"
    if free < DISK_FAIL_BYTES:
        return Check("disk", False, True, detail,
                     "free space or point IQUEST_DATA_DIR at a larger disk")
    if free < DISK_WARN_BYTES:
        return Check("disk", False, False, detail, "the caches need a few GiB; free some space")
    return Check("disk", True, True, detail)


def check_database(settings: Settings) -> Check | None:
    """Only when the deployment has a database setting (the ledger adds IQUEST_DATABASE_URL)."""
    url = getattr(settings, "database_url", None)
    if url is None:
        return None
    url = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url)
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path.lstrip("/") if parts.netloc == "" else parts.path)
        folder = path.parent if str(path.parent) else Path(".")
        ok = folder.exists() and os.access(folder, os.W_OK)
        return Check("database", ok, True, f"sqlite at {path}",
                     "" if ok else f"create {folder} and make it writable")
    host, port = parts.hostname or "localhost", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as error:
        return Check("database", False, True, f"cannot reach {host}:{port}: {error}",
                     "start the database or correct IQUEST_DATABASE_URL")
    return Check("database", True, True, f"{parts.scheme} at {host}:{port} accepts connections")
