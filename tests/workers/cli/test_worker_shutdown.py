"""`iquest worker` on SIGTERM (docker stop, a rollout, KEDA scaling down): a job still running
after IQUEST_WORKER_SHUTDOWN_SECONDS goes back to the queue at once and another worker does it.

Real receiver, Redis, prefork Celery workers, the fake GitHub and the scripted model.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until, worker_env

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"
INSTALLATION = 777
# The first model reply takes this long: longer than the shutdown window, so the first
# worker must give the job back rather than finish it.
SLOW_MODEL_SECONDS = 20


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker", "--pool", "prefork", "--concurrency", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_until(lambda: "ready." in log_path.read_text(errors="replace") or process.poll() is not None,
               timeout=60, what="the worker to start")
    assert process.poll() is None, log_path.read_text()
    return process


def test_sigterm_hands_a_running_job_back_and_another_worker_finishes_it(
    fake_github, model_server, receiver, redis_server, redis_client, tmp_path
) -> None:
    root = SHOWCASE / "repo"
    fake_github.create_repo(REPO, {str(p.relative_to(root)): p.read_text()
                                   for p in root.rglob("*.py")})
    fake_github.add_installation(INSTALLATION, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    issue = fake_github.open_issue(REPO, title, body.strip(), user="carol")
    response = (SHOWCASE / "model_response.md").read_text()
    model_server.script(ChatReply(response, delay_seconds=SLOW_MODEL_SECONDS), ChatReply(response))
    env = worker_env(fake_github, redis_server.url, tmp_path / "data",
                     IQUEST_MODEL_BASE_URL=model_server.base_url,
                     IQUEST_MODEL_CONTEXT_TOKENS="32768",
                     IQUEST_WORKER_SHUTDOWN_SECONDS="1")

    first = _start_worker(env, tmp_path / "first.log")
    payload = repo_variant("issues/labeled.json", REPO, INSTALLATION,
                           **{"label.name": "autofix", "issue.number": issue.number,
                              "sender.login": "alice"})
    assert post_webhook(receiver.url, "issues", payload).status_code == 202
    try:
        wait_until(lambda: len(model_server.chat_requests()) == 1, timeout=60,
                   what="the first worker to ask the model")
        stopped_at = time.monotonic()
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=SLOW_MODEL_SECONDS - 5)
        shutdown_seconds = time.monotonic() - stopped_at
    finally:
        if first.poll() is None:
            first.kill()
    # Back in the queue at once, not after Redis' visibility timeout.
    first_log = (tmp_path / "first.log").read_text()
    assert redis_client.llen("iquest") == 1, first_log
    assert fake_github.pulls(REPO) == []
    # The pool process was stopped (billiard raises SystemExit in it): no failure on GitHub.
    assert "interrupted by the worker's shutdown (SystemExit)" in first_log
    said = [c.body for c in fake_github.comments(REPO, issue.number)]
    assert not any("internal error" in body or "could not finish" in body for body in said), said

    second = _start_worker(env, tmp_path / "second.log")
    try:
        wait_until(lambda: fake_github.pulls(REPO), timeout=60, what="the second worker's PR")
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert len(model_server.chat_requests()) == 2
    assert shutdown_seconds < SLOW_MODEL_SECONDS - 5
