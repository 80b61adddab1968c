"""Every check, in the order a deployment depends on them."""

from __future__ import annotations

from pathlib import Path

import redis

from workers.doctor.github_check import check_github
from workers.doctor.host_checks import (
    check_database,
    check_disk,
    check_environments,
    check_sandbox,
)
from workers.doctor.model_check import check_model
from workers.doctor.redis_check import check_redis
from workers.doctor.report import Check
from workers.doctor.settings_check import ENV_FILE, load_settings


def run_checks(
    redis_url: str | None = None, env_file: Path = ENV_FILE, completions: bool = True
) -> list[Check]:
    """Settings first: without them nothing else can be checked. `completions=False` leaves
    out the model calls that generate tokens (`iquest dev` at start; `iquest doctor` makes them)."""
    settings, parsed = load_settings(env_file)
    if settings is None:
        return [parsed]
    checks = [parsed, check_redis(settings, redis_url)]
    url = redis_url or settings.redis_url
    client = redis.Redis.from_url(url, socket_timeout=3) if url and checks[-1].ok else None
    try:
        checks.append(check_github(settings))
        checks.extend(check_model(settings, client, completions))
    finally:
        if client is not None:
            client.close()
    checks.append(check_sandbox(settings))
    checks.append(check_environments())
    checks.append(check_disk(settings))
    database = check_database(settings)
    if database is not None:
        checks.append(database)
    return checks
