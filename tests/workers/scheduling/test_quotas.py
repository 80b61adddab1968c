"""Daily quotas against a real Redis: counted per installation and per user, reset at midnight UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.intake.repo_config import parse_repo_config
from workers.scheduling.quotas import DailyLimits, DailyQuotas, effective


def _job(sender: str = "alice", installation: int = 7) -> Job:
    return Job(
        kind=JobKind.FIX_ISSUE, job_id="j", delivery_id="d", installation_id=installation,
        repo_full_name="octo/service", number=1, source=TriggerSource.ISSUE, sender_login=sender,
    )


def _at(hour: int, minute: int = 0, day: int = 4) -> DailyQuotas:
    return lambda client: DailyQuotas(client, now=lambda: datetime(2026, 12, day, hour, minute, tzinfo=UTC))


def test_a_user_over_their_quota_is_told_when_it_resets(redis_client) -> None:
    quotas = _at(18, 30)(redis_client)
    limits = DailyLimits(per_installation=10, per_user=2)
    assert quotas.take(_job(), limits) is None
    assert quotas.take(_job(), limits) is None
    refusal = quotas.take(_job(), limits)
    assert refusal is not None
    assert "you reached today's limit of 2 fix jobs here" in refusal
    assert "00:00 UTC, in 5 h 30 min" in refusal
    # Someone else in the same installation still has their own quota.
    assert quotas.take(_job("bob"), limits) is None


def test_the_installation_quota_spans_its_users(redis_client) -> None:
    quotas = _at(23, 59)(redis_client)
    limits = DailyLimits(per_installation=2, per_user=5)
    assert quotas.take(_job("alice"), limits) is None
    assert quotas.take(_job("bob"), limits) is None
    refusal = quotas.take(_job("carol"), limits)
    assert refusal is not None and "this installation reached today's limit of 2" in refusal
    assert "in 1 min" in refusal
    # A refused job is not counted; another installation is untouched.
    assert quotas.take(_job("carol", installation=8), limits) is None


def test_a_new_day_starts_from_zero(redis_client) -> None:
    limits = DailyLimits(per_installation=1, per_user=1)
    assert _at(10)(redis_client).take(_job(), limits) is None
    assert _at(11)(redis_client).take(_job(), limits) is not None
    assert _at(0, 1, day=5)(redis_client).take(_job(), limits) is None


def test_a_repository_may_lower_limits_but_never_raise_them() -> None:
    loaded = parse_repo_config(
        "quotas:\n  jobs_per_day_per_user: 3\n  jobs_per_day_per_installation: 100000\n"
        "  tokens_per_job: 5000\n"
    )
    assert loaded.error is None
    quotas = loaded.config.quotas
    assert effective(50, quotas.jobs_per_day_per_user) == 3
    assert effective(200, quotas.jobs_per_day_per_installation) == 200
    assert effective(400_000, quotas.tokens_per_job) == 5000
    assert effective(50, parse_repo_config("").config.quotas.jobs_per_day_per_user) == 50
    broken = parse_repo_config("quotas:\n  jobs_per_day_per_user: -1\n")
    assert broken.error is not None and "quotas.jobs_per_day_per_user" in broken.error


def test_peeking_counts_nothing(redis_client) -> None:
    quotas = _at(9)(redis_client)
    limits = DailyLimits(per_installation=5, per_user=1)
    for _ in range(3):
        assert quotas.peek(_job(), limits) is None
    assert quotas.take(_job(), limits) is None
    assert quotas.peek(_job(), limits) is not None


def _light(kind: JobKind, sender: str, installation: int = 7) -> Job:
    return Job(kind=kind, job_id="h", delivery_id="d", installation_id=installation,
               repo_full_name="octo/service", number=1, source=TriggerSource.ISSUE_COMMENT,
               sender_login=sender, comment_id=5)


def test_help_and_cancel_count_per_installation_and_outsiders_per_hour(redis_client) -> None:
    from workers.config import Settings
    from workers.scheduling.quotas import WindowCounters, take_light_job

    counters = WindowCounters(redis_client)
    settings = Settings(_env_file=None, light_jobs_per_day_per_installation=4,
                        help_per_hour_per_user=1)
    # Someone who may not trigger fixes: one help answer an hour.
    assert take_light_job(counters, _light(JobKind.HELP, "mallory"), settings, False) is None
    refused = take_light_job(counters, _light(JobKind.HELP, "Mallory"), settings, False)
    assert refused is not None and "@mallory may not trigger fixes" in refused
    # People who may trigger fixes are counted only against the installation's day.
    assert take_light_job(counters, _light(JobKind.HELP, "alice"), settings, True) is None
    assert take_light_job(counters, _light(JobKind.CANCEL, "alice"), settings, True) is None
    full = take_light_job(counters, _light(JobKind.CANCEL, "alice"), settings, True)
    assert full is not None and "installation 7 used its 4 help and cancel jobs" in full
    # Another installation is not held up by this one's flood.
    assert take_light_job(counters, _light(JobKind.HELP, "alice", 8), settings, True) is None
    windows = sorted(key.decode() for key in redis_client.keys("iquest:window:*"))
    assert all(0 < redis_client.ttl(key) <= 24 * 3600 for key in windows)
