"""`iquest redeliver [--since 72h] [--dry-run]` as an operator runs it, against the fake GitHub."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from tests.support.worker import worker_env

REDELIVER = "apps/redeliver-webhook-delivery"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "redeliver", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_dry_run_prints_what_it_would_ask_and_asks_nothing(
    fake_github, redis_server, redis_client, tmp_path
) -> None:
    lost = fake_github.add_delivery(status_code=503, event="issues", action="labeled",
                                    age=timedelta(hours=1))
    fake_github.add_delivery(status_code=202, age=timedelta(minutes=30))
    env = worker_env(fake_github, redis_server.url, tmp_path / "data")

    result = _run(["--dry-run"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"would redeliver: delivery {lost.id} guid={lost.guid} issues.labeled at "
        f"{lost.delivered_at.strftime('%Y-%m-%dT%H:%M:%SZ')} (status 503)"
    ]
    assert "2 attempts read; 1 would redeliver" in result.stderr
    assert fake_github.call_count(REDELIVER) == 0
    assert redis_client.keys("iquest:redelivery:*") == []


def test_asks_once_and_a_second_run_asks_for_nothing(
    fake_github, redis_server, redis_client, tmp_path
) -> None:
    lost = fake_github.add_delivery(status_code=503, age=timedelta(hours=1))
    old = fake_github.add_delivery(status_code=503, age=timedelta(hours=5))
    env = worker_env(fake_github, redis_server.url, tmp_path / "data")

    first = _run(["--since", "2h"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"redelivered: delivery {lost.id} ")
    assert [c.path for c in fake_github.calls(REDELIVER)] == [
        f"/app/hook/deliveries/{lost.id}/attempts"
    ]

    second = _run(["--since", "2h"], env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert fake_github.call_count(REDELIVER) == 1
    assert str(old.id) not in first.stdout + second.stdout


def test_bad_since_and_missing_credentials_are_clear_errors(
    fake_github, redis_server, redis_client, tmp_path
) -> None:
    env = worker_env(fake_github, redis_server.url, tmp_path / "data")
    bad = _run(["--since", "3 weeks"], env)
    assert bad.returncode == 2 and "not a duration like 72h" in bad.stderr
    env.pop("IQUEST_APP_ID")
    missing = _run([], env)
    assert missing.returncode == 2 and "IQUEST_APP_ID is not set" in missing.stderr
