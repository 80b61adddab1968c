"""A worker killed at each step of publishing a draft PR: the job's re-run finishes the work once.

Real receiver, real Redis, a real prefork Celery worker, the fake GitHub and the scripted model.
The fake holds the response of one publishing write (its effect already done) until the test
has SIGKILLed the pool process waiting for it; Celery requeues the job (late ack,
`reject_on_worker_lost`) and its re-run must end with one branch, one commit on it, one draft
PR and one status comment, whichever step the first attempt died after.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.support.worker import WorkerProcess, wait_until
from tests.workers.crash_flow import (
    OPENED,
    add_fix_reply,
    assert_one_fix,
    connected_to,
    open_autofix_issue,
    port_of,
    seed_calc,
    status,
)

STEPS = {
    "after the tree": "POST /repos/{owner}/{repo}/git/trees",
    "after the commit": "POST /repos/{owner}/{repo}/git/commits",
    "after the ref": "POST /repos/{owner}/{repo}/git/refs",
    "after the pull request": "POST /repos/{owner}/{repo}/pulls",
}


@pytest.fixture
def prefork_worker(launch_worker) -> WorkerProcess:
    return launch_worker(pool="prefork")

def test_a_worker_killed_after_each_publishing_write_leaves_one_branch_commit_pr_and_comment(
    fake_github, model_server, receiver, prefork_worker
) -> None:
    seed_calc(fake_github)
    github_port = port_of(fake_github.url)
    for step, route in STEPS.items():
        hold = fake_github.hold_response(route)
        model_server.script(add_fix_reply(), add_fix_reply())  # the killed attempt, its re-run
        number = open_autofix_issue(fake_github, receiver.url, title=f"add() subtracts ({step})")
        try:
            assert hold.reached.wait(90), f"the job never got {step}"
            victim = connected_to(prefork_worker, github_port)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(10)
        finally:
            hold.release()
        wait_until(lambda n=number: OPENED in status(fake_github, n), timeout=90,
                   what=f"the re-run to open the draft PR (killed {step})")
        assert_one_fix(fake_github, number)
    assert prefork_worker.process.poll() is None  # only pool processes died
    assert prefork_worker.log().count("WorkerLostError") >= len(STEPS)
    assert len(model_server.chat_requests()) == 2 * len(STEPS)
