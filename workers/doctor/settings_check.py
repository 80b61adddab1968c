"""Settings: do they parse, and where did each one come from (environment, .env, default)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from workers.config import Settings, SettingsError
from workers.doctor.report import Check

ENV_FILE = Path(".env")


def _env_file_names(path: Path) -> set[str]:
    if not path.exists():
        return set()
    names = set()
    for line in path.read_text(errors="replace").splitlines():
        name, equals, value = line.strip().partition("=")
        if equals and name.startswith("IQUEST_") and value.strip():
            names.add(name.strip())
    return names


def load_settings(env_file: Path = ENV_FILE) -> tuple[Settings | None, Check]:
    """The settings and the check saying whether they parsed and which source set each."""
    try:
        settings = Settings()
        settings.check_worker_credentials()
    except ValidationError as error:
        problems = "; ".join(
            f"IQUEST_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        return None, Check("settings", False, True, f"do not parse: {problems}",
                           "correct the values named above in the environment or .env")
    except SettingsError as error:
        return None, Check("settings", False, True, str(error),
                           "set the missing setting in the environment or .env")
    from_env = sorted(n for n in os.environ if n.startswith("IQUEST_") and os.environ[n])
    from_file = sorted(_env_file_names(env_file) - set(from_env))
    parts = []
    if from_env:
        parts.append("environment: " + ", ".join(n.removeprefix("IQUEST_") for n in from_env))
    if from_file:
        parts.append(f"{env_file}: " + ", ".join(n.removeprefix("IQUEST_") for n in from_file))
    detail = "parse; " + ("; ".join(parts) if parts else "every value is the default")
    return settings, Check("settings", True, True, detail)
