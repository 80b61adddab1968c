"""The Celery tasks when a pool process dies mid-job: the job's re-run finishes it, promptly.

Real receiver, real Redis, a real prefork Celery worker, the fake GitHub and the scripted
model server, whose answer is held until the test has killed the process waiting for it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import psutil
import pytest
from celery.worker import state as celery_worker_state

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import WorkerProcess, wait_until
from tests.workers.handlers.calc_repo import (
    ADD_FIX,
    INSTALLATION_ID,
    REPO,
    model_reply,
    seed_calc,
)
from workers.config import Settings
from workers.intake.jobs import job_id_for_delivery
from workers.tasks import busy_wait_seconds, cold_shutdown_under_way, transient_retry_seconds

# The default lease (15 s): the re-run reaching the model well within it shows it took its
# lease over rather than waited for it to expire.
RERUN_WITHIN_SECONDS = 12
COMMITS = "POST /repos/{owner}/{repo}/git/commits"


@pytest.fixture
def prefork_worker(launch_worker) -> WorkerProcess:
    """Two pool processes, so a second job could run beside the first if the lease let it."""
    return launch_worker(pool="prefork", concurrency=2)

@pytest.fixture
def issue(fake_github):
    seed_calc(fake_github, alice="maintain")
    return fake_github.open_issue(REPO, "add() subtracts", "`add(2, 2)` returns 0.", user="carol")


def _model_caller(worker: WorkerProcess, model_port: int) -> psutil.Process:
    """The pool child of the worker that has a connection open to the model server."""
    for child in psutil.Process(worker.process.pid).children(recursive=True):
        try:
            if any(c.raddr and c.raddr.port == model_port for c in child.net_connections("tcp")):
                return child
        except psutil.NoSuchProcess:
            continue
    raise AssertionError("no pool process is talking to the model")


def _bots(fake_github, number: int) -> list:
    return [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]


def _status(fake_github, number: int) -> str:
    bots = _bots(fake_github, number)
    return bots[0].body if bots else ""


def test_killed_pool_process_is_rerun_at_once_and_a_second_job_waits_its_turn(
    fake_github, model_server, issue, receiver, prefork_worker
) -> None:
    killed_call, rerun_call, second_call = threading.Event(), threading.Event(), threading.Event()
    reply = model_reply("`add` subtracts.", ADD_FIX)
    model_server.script(
        type(reply)(reply.content, hold=killed_call),  # the attempt that dies waiting for it
        type(reply)(reply.content, hold=rerun_call),  # the same job's re-run
        type(reply)(reply.content, hold=second_call),  # the second job, once its turn comes
    )
    try:
        labeled = repo_variant(
            "issues/labeled.json", REPO, INSTALLATION_ID,
            **{"label.name": "autofix", "issue.number": issue.number, "sender.login": "alice"},
        )
        assert post_webhook(receiver.url, "issues", labeled).status_code == 202
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the first model call")
        model_port = int(model_server.root_url.rsplit(":", 1)[1])
        victim = _model_caller(prefork_worker, model_port)
        os.kill(victim.pid, signal.SIGKILL)  # as the OOM killer would, mid-model-call
        killed = time.monotonic()

        # Celery requeues the lost job; its re-run takes over its own lease and reaches the model.
        wait_until(lambda: len(model_server.chat_requests()) == 2, timeout=RERUN_WITHIN_SECONDS,
                   what="the re-run's model call, before the dead attempt's lease could end")
        assert prefork_worker.process.poll() is None  # only the pool process died
        assert "WorkerLostError" in prefork_worker.log()
        assert "took over its own lease" in prefork_worker.log()  # not waiting for it to expire

        # A different job for the same issue is told to wait while the re-run holds the lease.
        delivery = str(uuid.uuid4())
        asking = fake_github.add_issue_comment(REPO, issue.number, "/iquest fix", user="alice")
        comment = repo_variant(
            "issue_comment/created.with-installation.json", REPO, INSTALLATION_ID,
            **{"issue.number": issue.number, "comment.id": asking.id,
               "comment.body": "/iquest fix", "comment.user.login": "alice",
               "sender.login": "alice"},
        )
        assert post_webhook(receiver.url, "issue_comment", comment, delivery).status_code == 202
        second = job_id_for_delivery(delivery)
        wait_until(lambda: f"job={second} waits" in prefork_worker.log(), timeout=30,
                   what="the second job to be told to wait")
        assert len(model_server.chat_requests()) == 2  # it never started while the lease was held

        rerun_call.set()
        wait_until(lambda: "Opened draft pull request" in _status(fake_github, issue.number),
                   timeout=max(1.0, 60 - (time.monotonic() - killed)),
                   what="the draft PR within a minute of the kill")
        done = _status(fake_github, issue.number)

        # The second job's turn: it reaches the model only now, and is held there.
        wait_until(lambda: len(model_server.chat_requests()) == 3, timeout=30,
                   what="the second job's model call")
        branch = f"iquest/issue-{issue.number}"
        [pull] = fake_github.pulls(REPO)
        assert pull.draft and pull.head_ref == branch
        assert [ref for ref in fake_github.refs(REPO) if "iquest/" in ref] == [f"refs/heads/{branch}"]
        repo = fake_github.repo(REPO)
        assert list(repo.commit(branch).parents) == [repo.commit("main").sha]
        assert fake_github.call_count(COMMITS) == 1
        assert len(_bots(fake_github, issue.number)) == 1
        assert f"#{pull.number}" in done
        assert "return a + b" in repo.read_file(branch, "calc.py")

        second_call.set()
        wait_until(lambda: second in _status(fake_github, issue.number)
                   and "Opened draft pull request" in _status(fake_github, issue.number),
                   timeout=60, what="the second job to finish")
        assert len(fake_github.pulls(REPO)) == 1
        assert len(_bots(fake_github, issue.number)) == 1
    finally:
        # The killed attempt's request is still held: let the server thread finish.
        for gate in (killed_call, rerun_call, second_call):
            gate.set()


def test_a_busy_target_is_retried_just_after_the_lease_could_end_within_a_bounded_wait() -> None:
    settings = Settings(_env_file=None, job_timeout_seconds=60, target_lease_seconds=15)
    assert busy_wait_seconds(3.0, waited=0.0, settings=settings) == pytest.approx(3.25)
    # A lease that vanished between the two Redis calls: try again almost at once.
    assert busy_wait_seconds(0.0, waited=0.0, settings=settings) == pytest.approx(0.25)
    # No holder lives past its time limit plus one lease: waiting longer would be pointless.
    assert busy_wait_seconds(10.0, waited=64.0, settings=settings) == pytest.approx(10.25)
    assert busy_wait_seconds(10.0, waited=65.0, settings=settings) is None


def test_transient_failures_back_off_exponentially_up_to_ten_minutes() -> None:
    assert [transient_retry_seconds(n) for n in range(7)] == [15, 30, 60, 120, 240, 480, 600]


@pytest.mark.parametrize(("terminate", "stop", "interrupted"), [
    (None, None, False),  # a running worker: an exception is a crash, reported on GitHub
    (None, 0, False),  # a warm shutdown lets the job run on: its exceptions are its own
    (1, None, True),  # the cold shutdown's signal handler (EX_FAILURE), then…
    (True, None, True),  # …on_cold_shutdown once it has cancelled the running jobs
])
def test_only_celery_s_cold_shutdown_makes_an_exception_an_interruption(
    monkeypatch, terminate, stop, interrupted
) -> None:
    monkeypatch.setattr(celery_worker_state, "should_terminate", terminate)
    monkeypatch.setattr(celery_worker_state, "should_stop", stop)
    assert cold_shutdown_under_way() is interrupted
