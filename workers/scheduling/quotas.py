"""Daily job quotas per installation and per triggering user, counted in Redis per UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from workers.config import Settings
from workers.intake.jobs import Job
from workers.intake.messages import render_text
from workers.intake.repo_config import QuotaConfig

# KEYS: installation counter, user counter. ARGV: installation limit, user limit, ttl, count?
# Counts the job (when asked to) only when both are under their limit; returns {0, 0} then,
# else which one is full (1 installation, 2 user) and its count.
_TAKE_LUA = """
local used_installation = tonumber(redis.call('GET', KEYS[1]) or '0')
if used_installation >= tonumber(ARGV[1]) then return {1, used_installation} end
local used_user = tonumber(redis.call('GET', KEYS[2]) or '0')
if used_user >= tonumber(ARGV[2]) then return {2, used_user} end
if ARGV[4] == '0' then return {0, 0} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {0, 0}
"""


@dataclass(frozen=True)
class DailyLimits:
    per_installation: int
    per_user: int


def effective(deployment: int, repository: int | None) -> int:
    """A repository may lower a deployment's limit, never raise it."""
    return deployment if repository is None else min(deployment, repository)


def daily_limits(settings: Settings, repository: QuotaConfig) -> DailyLimits:
    """The deployment's daily limits, lowered by the repository's settings."""
    return DailyLimits(
        per_installation=effective(
            settings.jobs_per_day_per_installation, repository.jobs_per_day_per_installation
        ),
        per_user=effective(settings.jobs_per_day_per_user, repository.jobs_per_day_per_user),
    )


class DailyQuotas:
    def __init__(self, client: redis.Redis, now=lambda: datetime.now(UTC)) -> None:  # type: ignore[no-untyped-def]
        self._take = client.register_script(_TAKE_LUA)
        self._now = now

    def take(self, job: Job, limits: DailyLimits) -> str | None:
        """Count the job against today's quotas; a polite refusal instead when one is full."""
        return self._ask(job, limits, count=True)

    def peek(self, job: Job, limits: DailyLimits) -> str | None:
        """The refusal the job would get now, counting nothing."""
        return self._ask(job, limits, count=False)

    def _ask(self, job: Job, limits: DailyLimits, count: bool) -> str | None:
        now = self._now()
        day = now.strftime("%Y-%m-%d")
        installation = f"iquest:quota:{day}:installation:{job.installation_id}"
        user = f"iquest:quota:{day}:user:{job.installation_id}:{(job.sender_login or '').lower()}"
        full, _used = self._take(
            keys=[installation, user],
            args=[limits.per_installation, limits.per_user, 2 * 24 * 3600, int(count)],
        )
        if full == 0:
            return None
        reset = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        if full == 1:
            who, limit, where = "this installation", limits.per_installation, " across its repositories"
        else:
            who, limit, where = "you", limits.per_user, " here"
        return render_text(
            "quota_refused.md",
            who=who,
            limit=limit,
            plural="" if limit == 1 else "s",
            where=where,
            resets_in=_duration(reset - now),
        )


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


# Jobs that use no model call are cheap, not free: help and cancel jobs go ahead of every fix
# (the notices queue), so one installation posting them without end would delay everybody's.
# They count against a window counter of their own, per installation and per user.
_COUNT_LUA = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
if used == 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 1
"""


class WindowCounters:
    """At most `limit` takes per key and window (a fixed window: the counter expires with it)."""

    def __init__(self, client: redis.Redis) -> None:
        self._take = client.register_script(_COUNT_LUA)

    def take(self, key: str, limit: int, window_seconds: int) -> bool:
        """Count one against `key`; False (nothing counted) when the window's limit is reached."""
        return bool(self._take(keys=[f"iquest:window:{key}"], args=[limit, window_seconds]))


DAY = 24 * 3600
HOUR = 3600


def take_light_job(counters: WindowCounters, job: Job, settings: Settings,
                   may_trigger: bool) -> str | None:
    """Count a help or cancel job: None when it may run, else why not (for the log only: an
    answer to a flood would be part of the flood)."""
    installation = job.installation_id
    if not counters.take(f"light:installation:{installation}",
                         settings.light_jobs_per_day_per_installation, DAY):
        return (f"installation {installation} used its {settings.light_jobs_per_day_per_installation} "
                "help and cancel jobs of the day")
    if not may_trigger:
        user = (job.sender_login or "").lower()
        if not counters.take(f"help:user:{installation}:{user}", settings.help_per_hour_per_user, HOUR):
            return f"@{user} may not trigger fixes and asked for help {settings.help_per_hour_per_user} times this hour"
    return None
