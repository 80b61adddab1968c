"""/repair end to end: real receiver, real Redis, real Celery worker and the scripted model; no GitHub."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fakes.model_server import ChatReply, ErrorReply
from tests.support.webhooks import TEST_REPAIR_TOKEN
from tests.support.worker import wait_until
from workers.handlers.repair import RepairServices, UnsafeRepairPath, repair, write_request_files
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.intake.repair_store import RepairResult, RepairStatus, RepairStore

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
AUTH = {"Authorization": f"Bearer {TEST_REPAIR_TOKEN}"}


def _showcase_request() -> dict:
    root = SHOWCASE / "repo"
    files = {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    return {"issue": {"title": title, "body": body.strip()}, "files": files}


def _final(receiver, status_url: str) -> dict:
    seen: dict = {}

    def finished() -> bool:
        seen.update(httpx.get(f"{receiver.url}{status_url}", headers=AUTH).json())
        return seen["status"] not in ("queued", "running")

    wait_until(finished, timeout=60, what="the repair job to finish")
    return seen


def test_showcase_repair_returns_root_cause_diff_and_tests(
    fake_github, model_server, receiver, worker
) -> None:
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    answer = httpx.post(f"{receiver.url}/repair", json=_showcase_request(), headers=AUTH)
    assert answer.status_code == 202, answer.text

    result = _final(receiver, answer.json()["status_url"])
    assert result["status"] == "done", result
    assert "+import secrets" in result["diff"]
    assert "--- a/utils.py" in result["diff"]
    assert "random" in result["root_cause"]
    assert "test_session_ids_are_unique" in result["diff"]
    # The receipt rides along; the test worker runs no sandbox, so it claims nothing.
    assert "## Receipt" in result["receipt"] and "| Command | none (nothing was run) |" in result["receipt"]
    assert result["verified"] is False and "Not proven (tests not run" in result["receipt"]
    # The issue reached the model as the prompt's issue; nothing was asked of GitHub.
    [request] = model_server.chat_requests()
    assert "Concurrent logins can get the same session id" in str(request.json["messages"])
    assert fake_github.call_count() == 0


def test_with_narrowing_on_repair_asks_where_the_code_is_first(
    fake_github, model_server, receiver, launch_worker
) -> None:
    launch_worker(IQUEST_CONTEXT_NARROWING="true", IQUEST_CONTEXT_NARROWING_TOKENS="4000")
    model_server.script(
        ChatReply("utils.py"),
        ChatReply("utils.py::new_session_id"),
        ChatReply((SHOWCASE / "model_response.md").read_text()),
    )
    answer = httpx.post(f"{receiver.url}/repair", json=_showcase_request(), headers=AUTH)
    assert answer.status_code == 202, answer.text
    result = _final(receiver, answer.json()["status_url"])
    assert result["status"] == "done", result
    files, functions, fix = model_server.chat_requests()
    assert "You help find the code" in files.json["messages"][0]["content"]
    assert "outlines of the files you picked" in functions.json["messages"][0]["content"]
    assert "Concurrent logins can get the same session id" in str(fix.json["messages"])
    assert "+import secrets" in result["diff"]


def test_a_model_failure_is_reported_as_failed(fake_github, model_server, receiver, worker) -> None:
    model_server.script(ErrorReply(400, "context length exceeded"))
    answer = httpx.post(f"{receiver.url}/repair", json=_showcase_request(), headers=AUTH)
    result = _final(receiver, answer.json()["status_url"])
    assert result["status"] == "failed"
    assert result["reason"] and result["diff"] == ""


def test_worker_refuses_to_write_outside_its_scratch_directory(tmp_path) -> None:
    with pytest.raises(UnsafeRepairPath):
        write_request_files(tmp_path / "root", {"../escape.py": "x"})
    assert not (tmp_path / "escape.py").exists()


def test_an_expired_request_ends_failed_not_stuck(redis_client) -> None:
    store = RepairStore(redis_client, 60)
    job = Job(kind=JobKind.REPAIR, job_id="f" * 32, delivery_id="d", source=TriggerSource.API)
    # Neither the model nor the disk is reached when there is nothing to run.
    services = RepairServices(
        store, model=None, tokenizer=None, context_tokens=0, scratch_dir=Path("/nonexistent")
    )
    repair(job, services)
    result = store.load_result(job.job_id)
    assert result is not None and result.status is RepairStatus.FAILED
    assert "expired" in result.reason
    # A finished job is not run again when its message is redelivered.
    store.save_result(job.job_id, RepairResult(status=RepairStatus.DONE, diff="d"))
    repair(job, services)
    assert store.load_result(job.job_id).diff == "d"
