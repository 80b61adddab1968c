"""`iquest worker` without App credentials: serves /repair, leaves GitHub jobs queued for others."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fakes.model_server import ChatReply
from tests.support.queue import queued_jobs
from tests.support.webhooks import TEST_REPAIR_TOKEN, post_webhook, variant
from tests.support.worker import WorkerProcess, wait_until, worker_env
from workers.intake.jobs import JobKind
from workers.intake.queues import (
    github_queues,
    local_queue,
    queue_for,
    queues_to_consume,
    task_routes,
    worker_queues,
)

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
AUTH = {"Authorization": f"Bearer {TEST_REPAIR_TOKEN}"}
LABELED = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 7}})


def _showcase_request() -> dict:
    root = SHOWCASE / "repo"
    files = {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.py"))}
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return {"issue": {"title": title, "body": body.strip()}, "files": files}


def _env_without_app(fake_github, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = worker_env(fake_github, redis_url, data_dir, **extra)
    del env["IQUEST_APP_ID"], env["IQUEST_PRIVATE_KEY"]
    return env


def test_routing_is_one_decision_for_edge_and_celery() -> None:
    assert queue_for(JobKind.REPAIR, "iquest") == local_queue("iquest") == "iquest.local"
    for kind in JobKind:
        if kind is not JobKind.REPAIR:
            assert queue_for(kind, "iquest") == "iquest"
            assert task_routes("iquest")[f"iquest.{kind}"]["queue"] == "iquest"
    assert task_routes("iquest")["iquest.repair"]["queue"] == "iquest.local"
    assert queues_to_consume("iquest", has_app_credentials=False) == ["iquest.local"]
    assert set(queues_to_consume("iquest", True)) == {"iquest", "iquest.local"}
    # Announcements first, then the jobs; only a worker with the App's credentials posts them.
    assert worker_queues("iquest", True) == ["iquest.notices", "iquest", "iquest.local"]
    assert worker_queues("iquest", False) == ["iquest.local"]


def test_worker_without_app_runs_repair_and_leaves_github_jobs_queued(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path
) -> None:
    # The receiver fixture itself runs without App credentials (only the webhook secret).
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    env = _env_without_app(
        fake_github, redis_server.url, tmp_path / "data",
        IQUEST_MODEL_BASE_URL=model_server.base_url, IQUEST_MODEL_CONTEXT_TOKENS="32768",
    )
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        assert "serves only POST /repair jobs" in worker.log()
        # A GitHub job first, so a worker consuming its queue would have taken it first.
        assert post_webhook(receiver.url, "issues", LABELED).status_code == 202
        answer = httpx.post(f"{receiver.url}/repair", json=_showcase_request(), headers=AUTH)
        assert answer.status_code == 202, answer.text
        status_url = f"{receiver.url}{answer.json()['status_url']}"
        result: dict = {}

        def finished() -> bool:
            result.update(httpx.get(status_url, headers=AUTH).json())
            return result["status"] not in ("queued", "running")

        wait_until(finished, timeout=60, what="the repair job to finish")
        assert result["status"] == "done", result
        assert "+import secrets" in result["diff"]
        # One ticket taken (its job: the repair), the GitHub job's ticket left alone. Celery
        # logs the task's success after it returns, which can be after the status says done.
        succeeded = r"Task iquest\.next_job\[\w+\] succeeded"
        wait_until(lambda: re.search(succeeded, worker.log()), timeout=30,
                   what="the worker to log the ticket's task as done")
        assert len(re.findall(succeeded, worker.log())) == 1
        assert "Task iquest.fix_issue[" not in worker.log()
    finally:
        worker.stop()
    # The GitHub job is still in its Redis list, untouched, for a worker with credentials.
    [queued] = queued_jobs(redis_client, github_queues("iquest")[0])
    assert queued.kind == "fix_issue"
    assert redis_client.llen(local_queue("iquest")) == 0
    assert fake_github.call_count() == 0


def test_half_configured_app_credentials_are_an_error(fake_github, redis_server, tmp_path) -> None:
    env = {**_env_without_app(fake_github, redis_server.url, tmp_path / "data"), "IQUEST_APP_ID": "12"}
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "worker", "--pool", "solo"],
        env=env, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "IQUEST_PRIVATE_KEY" in result.stderr


def test_a_metrics_port_set_explicitly_and_taken_is_an_error(
    fake_github, redis_server, tmp_path
) -> None:
    # Left unset, a taken default moves to a free port (tests/workers/operations/
    # test_metrics_server.py); a port the operator chose is where Prometheus scrapes.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = worker_env(fake_github, redis_server.url, tmp_path / "data",
                         IQUEST_WORKER_METRICS_PORT=str(port))
        result = subprocess.run(
            [sys.executable, "-m", "workers.cli", "worker", "--pool", "solo"],
            env=env, capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.stderr
    assert "IQUEST_WORKER_METRICS_PORT" in result.stderr
