"""GitHub failing the way it does: retried within its limits, or ended with a clear status.

Real receiver, real Redis, a real Celery worker, the fake GitHub injecting the faults, the
scripted model. The fake refuses to finish with a scheduled fault unused, so each one below
was met by the job.
"""

from __future__ import annotations

import pytest

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import WorkerProcess, wait_until
from tests.workers.crash_flow import (
    OPENED,
    add_fix_reply,
    assert_one_fix,
    open_autofix_issue,
    script_held_fix,
    seed_calc,
    status,
)
from tests.workers.handlers.calc_repo import INSTALLATION_ID, MAIN

WRITES = ("POST", "PATCH", "PUT", "DELETE")
# GitHub's documented secondary limit: at most 80 content-creating requests a minute.
GITHUB_WRITES_PER_MINUTE = 80
TOKEN_ROUTE = "POST /app/installations/{installation_id}/access_tokens"


@pytest.fixture
def solo_worker(launch_worker) -> WorkerProcess:
    # GitHub's own pacing, not the end-to-end tests' shortcut: the count below is of what
    # production would send.
    return launch_worker(IQUEST_GITHUB_WRITE_INTERVAL_SECONDS="1.0")

def _most_writes_in_a_minute(calls) -> int:
    times = sorted(c.at for c in calls if c.method in WRITES and not c.path.startswith("/app/"))
    return max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)


def test_5xx_and_rate_limits_are_retried_within_limits_and_a_422_ends_in_a_clear_status(
    fake_github, model_server, receiver, solo_worker
) -> None:
    seed_calc(fake_github)
    model_server.script(add_fix_reply(), add_fix_reply())
    faults = {
        "issues/get": fake_github.fail_next("issues/get", status=502),
        "git/create-tree": fake_github.fail_next("git/create-tree", status=500),
        "issues/create-comment": fake_github.secondary_rate_limit(
            "issues/create-comment", retry_after=1, status=403),
        "pulls/create": fake_github.secondary_rate_limit("pulls/create", retry_after=1,
                                                         status=429),
        "repos/get": fake_github.primary_rate_limit("repos/get", reset_in=1),
    }
    number = open_autofix_issue(fake_github, receiver.url)
    wait_until(lambda: OPENED in status(fake_github, number), timeout=90,
               what="the draft PR despite the faults")
    assert_one_fix(fake_github, number)
    for route, fault in faults.items():
        assert fault.used == 1, route
    # Each failed call was tried again, after the wait GitHub asked for.
    for route in ("issues/create-comment", "pulls/create"):
        failed, retried = [c for c in fake_github.calls(route)][:2]
        assert failed.fault == "secondary_rate_limit" and retried.fault is None
        assert retried.at - failed.at >= 1.0, f"{route} retried before Retry-After"
    assert fake_github.call_count("git/create-tree") == 2
    assert fake_github.call_count("pulls/create") == 2

    # A write GitHub refuses (422) is not retried: the job ends and says so.
    fake_github.validation_failure("pulls/create", message="A pull request already exists")
    refused = open_autofix_issue(fake_github, receiver.url, "add() subtracts (422)")
    wait_until(lambda: "GitHub refused a request" in status(fake_github, refused), timeout=90,
               what="the failed status after a 422")
    assert "422" in status(fake_github, refused)
    assert fake_github.call_count("pulls/create") == 3  # 2 for the first job, 1 here: no retry
    most = _most_writes_in_a_minute(fake_github.calls())
    assert most <= GITHUB_WRITES_PER_MINUTE // 4, most
    print(f"most writes in any minute for installation {INSTALLATION_ID}: {most}")


def test_a_revoked_token_is_replaced_and_an_uninstalled_app_ends_its_waiting_job(
    fake_github, model_server, receiver, solo_worker
) -> None:
    seed_calc(fake_github)
    other_repo, other_installation = "other/calc", INSTALLATION_ID + 1
    fake_github.create_repo(other_repo, {"calc.py": MAIN})
    fake_github.add_installation(other_installation, "other")
    fake_github.add_collaborator(other_repo, "alice", "maintain")
    answer = script_held_fix(model_server, then=1)
    try:
        number = open_autofix_issue(fake_github, receiver.url)
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the first job's model call")
        # A job for the other installation waits behind it; then that App is uninstalled.
        waiting = fake_github.open_issue(other_repo, "add() subtracts", "", user="carol")
        labeled = repo_variant("issues/labeled.json", other_repo, other_installation, **{
            "label.name": "autofix", "issue.number": waiting.number, "sender.login": "alice"})
        assert post_webhook(receiver.url, "issues", labeled).status_code == 202
        fake_github.remove_installation(other_installation)
        assert fake_github.revoke_tokens(INSTALLATION_ID) == 1  # mid-job, under the first
    finally:
        answer.set()
    wait_until(lambda: "the App is not installed there any more" in solo_worker.log(),
               timeout=60, what="the uninstalled job to end")
    wait_until(lambda: OPENED in status(fake_github, number), timeout=90,
               what="the first job to finish with a new token")
    assert_one_fix(fake_github, number)
    mints = fake_github.calls(TOKEN_ROUTE)
    for_first = [c for c in mints if c.path.split("/")[3] == str(INSTALLATION_ID)]
    for_other = [c for c in mints if c.path.split("/")[3] == str(other_installation)]
    assert len(for_first) == 2  # the revoked one and its replacement
    assert 1 <= len(for_other) <= 2  # the job's attempt and its failure report's; no storm
    assert not fake_github.comments(other_repo, waiting.number)
    fake_github.pop_failures()  # the fake records the revoked token and the missing installation
