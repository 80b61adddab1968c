"""Job ids on every line, secrets scrubbed: the filters on their own, then a real worker's JSON log."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import TEST_SECRET, post_webhook, repo_variant
from tests.support.worker import wait_until, worker_env
from workers.cli.logs import build_log_handler
from workers.config import LogFormat, Settings
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.operations.logcontext import REDACTED, Redactor, job_log_context

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"
INSTALLATION_ID = 777
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def _job() -> Job:
    return Job(
        kind=JobKind.FIX_ISSUE, job_id="j-1", delivery_id="d-1", installation_id=42,
        repo_full_name="acme/login", number=7, source=TriggerSource.ISSUE, sender_login="alice",
    )


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    settings = Settings(
        _env_file=None, log_format=LogFormat.JSON, webhook_secret="s3cret-webhook-value",
        private_key=PEM, model_api_key="sk-model-key-123",
    )
    logger = logging.getLogger(f"iquest.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(build_log_handler(settings, stream))
    yield logger, stream


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_inside_a_job_carries_its_ids(captured) -> None:
    logger, stream = captured
    job = _job()
    logger.info("before")
    with job_log_context(job):
        logger.info("inside %s", "the job")
    logger.info("after")
    before, inside, after = _lines(stream)
    assert inside["message"] == "inside the job"
    assert inside["delivery_id"] == "d-1" and inside["job_id"] == job.job_id
    assert inside["installation"] == "42" and inside["repository"] == "acme/login"
    assert inside["target"] == job.target_key and inside["kind"] == "fix_issue"
    assert inside["level"] == "INFO" and inside["logger"] == logger.name and inside["time"]
    assert "job_id" not in before and "job_id" not in after


def test_secrets_and_token_shapes_are_redacted(captured) -> None:
    logger, stream = captured
    token = "ghs_" + "a1B2" * 9
    leaks = [
        f"installation token {token}",
        "personal ghp_" + "x" * 36,
        "fine-grained github_pat_11ABCDEFG0_" + "y" * 60,
        "Authorization: Bearer abc.DEF-123_456",
        "the App's jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzR9.c2lnbmF0dXJlX2hlcmU",
        "webhook secret s3cret-webhook-value in a message",
        "model key sk-model-key-123",
        f"a key {PEM} in the middle",
        "a key as one escaped line " + PEM.replace("\n", "\\n"),
    ]
    for leak in leaks:
        logger.warning(leak)
    logger.info("args too: %s", {"authorization": f"token {token}"})
    try:
        raise RuntimeError(f"GitHub said no to {token}")
    except RuntimeError:
        logger.exception("failed")
    logger.info("extra field", extra={"detail": token})
    text = stream.getvalue()
    for secret in (token, "x" * 36, "y" * 60, "abc.DEF-123_456", "c2lnbmF0dXJlX2hlcmU",
                   "s3cret-webhook-value", "sk-model-key-123", "MIIEowIBAAKCAQEAu1SU1Lf",
                   "PRIVATE KEY"):
        assert secret not in text, secret
    lines = _lines(stream)
    assert all(REDACTED in line["message"] for line in lines[: len(leaks) + 1])
    assert "RuntimeError" in lines[-2]["exc_info"] and REDACTED in lines[-2]["exc_info"]
    assert lines[-1]["detail"] == REDACTED


def test_ordinary_text_is_left_alone() -> None:
    redact = Redactor(["s3cret-webhook-value", "abc"])  # too short to scrub: would eat words
    text = "minted installation token installation=31337 repo=login; abc; Bearer of bad news"
    assert redact(text) == text


def _labeled(number: int) -> dict:
    return repo_variant(
        "issues/labeled.json", REPO, INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": number, "sender.login": "alice"},
    )


def test_a_real_worker_writes_json_lines_with_ids_and_no_secrets(
    fake_github, model_server, redis_server, redis_client, receiver, tmp_path
) -> None:
    root = SHOWCASE / "repo"
    fake_github.create_repo(REPO, {
        str(p.relative_to(root)): p.read_text()
        for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    })
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    issue = fake_github.open_issue(REPO, title, body.strip(), user="carol")
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    env = worker_env(
        fake_github, redis_server.url, tmp_path / "data",
        IQUEST_MODEL_BASE_URL=model_server.base_url, IQUEST_MODEL_CONTEXT_TOKENS="32768",
        # DEBUG: every library's lines too, the likeliest place for a header to leak.
        IQUEST_LOG_FORMAT="json", IQUEST_LOG_LEVEL="DEBUG",
    )
    # Log lines go to stderr; Celery's own shutdown notices are plain text on stdout.
    with (tmp_path / "stderr.log").open("wb") as stderr, (tmp_path / "stdout.log").open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker", "--pool", "solo"],
            env=env, stdout=out, stderr=stderr,
        )
    try:
        delivery = _run_the_showcase(worker, tmp_path / "stderr.log", receiver, fake_github, issue)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    text = (tmp_path / "stderr.log").read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    # Our lines, but for the process's own (start-up, metrics endpoint), which belong to no job.
    ours = [line for line in lines if line["logger"].startswith("iquest.")
            and line["logger"] not in {"iquest.worker", "iquest.metrics"}]
    assert any(line["logger"] == "iquest.worker" for line in lines)
    assert len(ours) >= 5
    for line in ours:
        assert line["delivery_id"] == delivery, line
        assert line["repository"] == REPO and line["installation"] == str(INSTALLATION_ID)
        assert line["target"] == f"{REPO}#{issue.number}" and line["job_id"]
    assert len({line["job_id"] for line in ours}) == 1
    minted = list(fake_github.world.tokens)
    assert minted
    everything = text + (tmp_path / "stdout.log").read_text()
    for secret in [TEST_SECRET, fake_github.private_key, *minted]:
        assert secret not in everything
    for key_line in fake_github.private_key.splitlines()[1:-1]:
        assert key_line not in everything


def _run_the_showcase(worker, log: Path, receiver, fake_github, issue) -> str:  # type: ignore[no-untyped-def]
    """Post the label once the worker is ready; the delivery id, once the task has ended."""
    wait_until(lambda: worker.poll() is not None or "ready." in log.read_text(), timeout=30,
               what="the worker")
    assert worker.poll() is None, log.read_text()
    delivery = str(uuid.uuid4())
    assert post_webhook(receiver.url, "issues", _labeled(issue.number), delivery).status_code == 202
    wait_until(lambda: any("Opened draft pull request" in c.body
                           for c in fake_github.comments(REPO, issue.number)),
               timeout=60, what="the draft PR")
    wait_until(lambda: "succeeded in" in log.read_text(), what="the task's end")
    return delivery


def test_text_lines_end_with_the_job_ids() -> None:
    stream = io.StringIO()
    logger = logging.getLogger(f"iquest.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(build_log_handler(Settings(_env_file=None), stream))
    with job_log_context(_job()):
        logger.info("inside")
    logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith(
        "inside [delivery_id=d-1 job_id=j-1 installation=42 repository=acme/login "
        "target=acme/login#7 kind=fix_issue]"
    )
    assert outside.endswith("outside")
