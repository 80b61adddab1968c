"""Worker metrics, end to end: a real prefork Celery worker runs the showcase fix against the
fake GitHub and the scripted model, and its /metrics endpoint moves; a pool child killed
mid-job leaves the multiprocess store readable and its counts sane."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.outcome_payloads import pull_closed
from tests.support.promql import referenced_metric_names
from tests.support.scrape import Scrape, scrape
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import WorkerProcess, wait_until, worker_env
from workers.ledger.database import ledger_url, upgrade
from workers.pipeline.timing import Stage

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"
INSTALLATION_ID = 777


class ScrapedWorker(WorkerProcess):
    """A prefork worker left to choose its metrics port: 9191, or a free one when that is
    taken (as it is when tests run side by side); the port is read from its start-up log."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__(env, log_path, pool="prefork", concurrency=1)
        self.metrics_url = ""

    def wait_ready(self, timeout: float = 120) -> None:
        super().wait_ready(timeout)
        [url] = re.findall(r"worker metrics on (http://\S+/metrics)", self.log())
        self.metrics_url = url

    def scrape(self) -> Scrape:
        return scrape(self.metrics_url)

    def pool_children(self) -> list[int]:
        pid = self.process.pid
        children: list[int] = []
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            children.extend(int(child) for child in text.split())
        return children


@pytest.fixture
def prefork_worker(fake_github, model_server, redis_server, redis_client, tmp_path) -> Iterator[ScrapedWorker]:
    # The outcome ledger in the data folder (SQLite), migrated as `iquest db upgrade` would.
    upgrade(ledger_url(None, tmp_path / "data"))
    env = worker_env(
        fake_github,
        redis_server.url,
        tmp_path / "data",
        IQUEST_MODEL_BASE_URL=model_server.base_url,
        IQUEST_MODEL_CONTEXT_TOKENS="32768",
        IQUEST_WORKER_METRICS_HOST="127.0.0.1",
    )
    del env["IQUEST_WORKER_METRICS_PORT"]  # the default, as an operator who never set it
    process = ScrapedWorker(env, tmp_path / "worker.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture
def showcase(fake_github):
    root = SHOWCASE / "repo"
    files = {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    fake_github.create_repo(REPO, files)
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return fake_github.open_issue(REPO, title, body.strip(), user="carol")


def _label(number: int) -> dict:
    return repo_variant(
        "issues/labeled.json", REPO, INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": number, "sender.login": "alice"},
    )


def _status(fake_github, number: int) -> str:
    bots = [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    return bots[0].body if bots else ""


def test_a_fix_moves_the_worker_metrics(
    fake_github, model_server, showcase, receiver, prefork_worker
) -> None:
    before = prefork_worker.scrape()
    assert before.value("iquest_jobs_total") == 0
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    assert post_webhook(receiver.url, "issues", _label(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in _status(fake_github, showcase.number),
               timeout=60, what="the draft PR")
    wait_until(lambda: prefork_worker.scrape().value("iquest_jobs_total") == 1,
               what="the job to be counted")
    after = prefork_worker.scrape()

    assert after.value("iquest_jobs_total", kind="fix_issue", outcome="done") == 1
    assert after.value("iquest_job_duration_seconds_count", kind="fix_issue", outcome="done") == 1
    assert after.value("iquest_job_duration_seconds_sum", kind="fix_issue") > 0
    assert after.value("iquest_jobs_in_progress") == 0
    for stage in Stage:
        assert after.value("iquest_stage_duration_seconds_count", stage=stage.value) >= 1, stage
    assert after.value("iquest_model_request_duration_seconds_count", outcome="ok") == 1
    [request] = model_server.chat_requests()
    assert after.value("iquest_model_tokens_total", kind="prompt") > 0
    assert after.value("iquest_model_tokens_total", kind="completion") > 0

    # Routes are templates, never raw URLs; every call the fake saw was counted.
    routes = after.label_values("iquest_github_requests_total", "route")
    assert "POST /repos/{owner}/{repo}/pulls" in routes
    assert "POST /app/installations/{installation_id}/access_tokens" in routes
    assert not any(REPO in route or "/issues/1" in route for route in routes), routes
    assert "other" not in routes, routes
    assert after.value("iquest_github_requests_total", route="POST /repos/{owner}/{repo}/pulls",
                       status="201") == 1
    assert after.value("iquest_github_requests_total") >= fake_github.call_count()
    remaining = after.value("iquest_github_rate_limit_remaining", installation=str(INSTALLATION_ID))
    assert 0 < remaining < 5000

    assert after.value("iquest_fixes_published_total", kind="draft_pr", verified="false") == 1
    # What became of it: the merge, by webhook, counted by the ledger job.
    [pull] = fake_github.pulls(REPO)
    merged = pull_closed(REPO, INSTALLATION_ID, pull.number, pull.head_ref, merged=True, merge_sha="f" * 40)
    assert post_webhook(receiver.url, "pull_request", merged).status_code == 202
    wait_until(lambda: prefork_worker.scrape().value("iquest_fix_outcomes_total") == 1,
               what="the outcome to be counted")
    after = prefork_worker.scrape()
    assert after.value("iquest_fix_outcomes_total", kind="draft_pr", outcome="merged") == 1

    # Every metric the alert rules and the dashboard in deploy/ read is one that is exported.
    edge = scrape(f"{receiver.url}/metrics")
    exported = {sample.name for sample in [*after.samples, *edge.samples]}
    assert referenced_metric_names() - exported == set()


def test_edge_reports_queue_depth_and_age_of_the_oldest_job(
    fake_github, showcase, receiver, redis_client
) -> None:
    # No worker: the job stays queued.
    empty = scrape(f"{receiver.url}/metrics")
    assert empty.value("iquest_redis_up") == 1
    assert empty.value("iquest_queue_depth", queue="iquest") == 0
    # Both queues: GitHub jobs and the GitHub-free /repair jobs.
    assert empty.label_values("iquest_queue_depth", "queue") == {"iquest", "iquest.local"}
    assert empty.value("iquest_queue_oldest_job_age_seconds", queue="iquest") == 0
    assert post_webhook(receiver.url, "issues", _label(showcase.number)).status_code == 202
    first = scrape(f"{receiver.url}/metrics")
    assert first.value("iquest_queue_depth", queue="iquest") == 1
    age = first.value("iquest_queue_oldest_job_age_seconds", queue="iquest")
    assert 0 < age < 60
    wait_until(
        lambda: scrape(f"{receiver.url}/metrics").value(
            "iquest_queue_oldest_job_age_seconds", queue="iquest") > age + 0.05,
        what="the oldest job's age to grow",
    )
    assert first.value("iquest_webhook_deliveries_total", event="issues", outcome="queued") >= 1


def test_a_pool_child_killed_mid_job_leaves_the_store_readable(
    fake_github, model_server, showcase, receiver, prefork_worker
) -> None:
    # The first answer is slow, so the job is surely in flight when its process dies; the
    # re-run gets the second.
    response = (SHOWCASE / "model_response.md").read_text()
    model_server.script(ChatReply(response, delay_seconds=30), ChatReply(response))
    assert post_webhook(receiver.url, "issues", _label(showcase.number)).status_code == 202
    wait_until(lambda: model_server.chat_requests(), timeout=60, what="the model call")
    running = prefork_worker.scrape()
    assert running.value("iquest_jobs_in_progress", kind="fix_issue") == 1
    calls_before = running.value("iquest_github_requests_total")
    assert calls_before > 0
    assert running.value("iquest_stage_duration_seconds_count", stage="snapshot") == 1
    [child] = prefork_worker.pool_children()
    os.kill(child, signal.SIGKILL)

    # Celery replaces the child and requeues the job (acks late, reject on worker lost); the
    # re-run takes over its own target lease and finishes in the new child.
    wait_until(lambda: "Opened draft pull request" in _status(fake_github, showcase.number),
               timeout=90, what="the re-run's draft PR")
    wait_until(lambda: prefork_worker.scrape().value("iquest_jobs_total") == 1,
               what="the re-run to be counted")
    wait_until(lambda: prefork_worker.scrape().value("iquest_jobs_in_progress") == 0,
               what="the dead child's in-progress gauge to be dropped")
    after = prefork_worker.scrape()
    assert child not in prefork_worker.pool_children()
    # The killed run never finished, so it is in no outcome; the re-run is the one done job.
    assert after.value("iquest_jobs_total", kind="fix_issue", outcome="done") == 1
    assert after.value("iquest_job_duration_seconds_count") == 1
    # What the dead child counted before it died is still part of the totals.
    assert after.value("iquest_stage_duration_seconds_count", stage="snapshot") == 2
    assert after.value("iquest_model_request_duration_seconds_count", outcome="ok") == 1
    assert after.value("iquest_github_requests_total") > calls_before
