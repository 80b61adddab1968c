"""POST /repair and GET /jobs/{id} at the edge: auth, validation, durable enqueue, 404 and 503."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.queue import queued_jobs
from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.webhooks import TEST_REPAIR_TOKEN, TEST_SECRET
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.intake.queues import queue_for
from workers.intake.repair_store import request_key

# /repair jobs have their own queue, so a worker without App credentials can serve them.
REPAIR_QUEUE = queue_for(JobKind.REPAIR, "iquest")
AUTH = {"Authorization": f"Bearer {TEST_REPAIR_TOKEN}"}
GOOD = {"issue": {"title": "ids collide", "body": "two logins, one id"},
        "files": {"utils.py": "import random\n", "pkg/mod.py": "x = 1\n"}}


@pytest.fixture(scope="module")
def edge(redis_server) -> Iterator[ReceiverThread]:
    # Small caps so the limits are cheap to reach.
    settings = receiver_settings(repair_max_files=3, repair_max_file_bytes=100, repair_max_bytes=4000)
    thread = ReceiverThread(settings, redis_server.url)
    thread.start()
    yield thread
    thread.stop()


def _post(edge: ReceiverThread, body: object, headers: dict[str, str] | None = AUTH) -> httpx.Response:
    return httpx.post(f"{edge.url}/repair", json=body, headers=headers or {})


def _queued_job(redis_client) -> Job:
    [job] = queued_jobs(redis_client, REPAIR_QUEUE)
    assert job.kind == "repair"
    return job


def test_accepted_request_is_stored_and_queued_with_its_id_only(edge, redis_client) -> None:
    answer = _post(edge, GOOD)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    assert answer.json()["status_url"] == f"/jobs/{job_id}"
    job = _queued_job(redis_client)
    assert (job.kind, job.job_id, job.source) == (JobKind.REPAIR, job_id, TriggerSource.API)
    assert job.repo_full_name is None and job.number is None
    stored = json.loads(redis_client.get(request_key(job_id)))
    assert stored["files"] == GOOD["files"] and stored["title"] == "ids collide"
    assert 0 < redis_client.ttl(request_key(job_id)) <= 24 * 3600
    status = httpx.get(f"{edge.url}/jobs/{job_id}", headers=AUTH)
    assert status.status_code == 200
    assert status.json()["status"] == "queued"


def test_two_identical_posts_are_two_jobs(edge, redis_client) -> None:
    first, second = _post(edge, GOOD), _post(edge, GOOD)
    assert first.json()["job_id"] != second.json()["job_id"]
    assert redis_client.llen(REPAIR_QUEUE) == 2


@pytest.mark.parametrize(
    "headers",
    [None, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TEST_SECRET}"}],
)
def test_without_the_bearer_token_nothing_is_queued(edge, redis_client, headers) -> None:
    answer = _post(edge, GOOD, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert redis_client.llen(REPAIR_QUEUE) == 0
    assert httpx.get(f"{edge.url}/jobs/{'0' * 32}", headers=headers or {}).status_code == 401


def test_the_webhook_secret_never_authorises_repair_or_jobs(edge, redis_server, redis_client) -> None:
    # With a repair token configured: the webhook secret is just a wrong token.
    secret = {"Authorization": f"Bearer {TEST_SECRET}"}
    assert _post(edge, GOOD, headers=secret).status_code == 401
    assert httpx.get(f"{edge.url}/jobs/{'0' * 32}", headers=secret).status_code == 401
    # Without one: /repair and /jobs are off, for any bearer, and the answer says why.
    thread = ReceiverThread(receiver_settings(repair_token=None), redis_server.url)
    thread.start()
    try:
        for headers in (secret, AUTH, None):
            answer = _post(thread, GOOD, headers=headers)
            assert answer.status_code == 503
            assert "IQUEST_REPAIR_TOKEN is not set" in answer.json()["error"]
            jobs = httpx.get(f"{thread.url}/jobs/{'0' * 32}", headers=headers or {})
            assert jobs.status_code == 503
    finally:
        thread.stop()
    assert redis_client.llen(REPAIR_QUEUE) == 0


def test_a_token_gets_its_daily_repair_jobs_and_no_more(redis_server, redis_client) -> None:
    thread = ReceiverThread(receiver_settings(repair_jobs_per_day=2), redis_server.url)
    thread.start()
    try:
        assert [_post(thread, GOOD).status_code for _ in range(2)] == [202, 202]
        over = _post(thread, GOOD)
        assert over.status_code == 429 and over.headers["retry-after"] == "3600"
        assert "2 repair jobs of the day" in over.json()["error"]
        # Invalid requests and wrong tokens count nothing.
        assert _post(thread, {"files": {}}).status_code == 422
    finally:
        thread.stop()
    assert redis_client.llen(REPAIR_QUEUE) == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"files": {"a.py": ""}}, "issue"),
        ({"issue": {"title": ""}, "files": {"a.py": ""}}, "title"),
        ({"issue": {"title": "t"}, "files": {}}, "files"),
        ({"issue": {"title": "t"}, "files": {"a.py": 3}}, "files"),
        ({"issue": {"title": "t"}, "files": {"../etc/passwd": ""}}, "'..'"),
        ({"issue": {"title": "t"}, "files": {"/etc/passwd": ""}}, "relative"),
        ({"issue": {"title": "t"}, "files": {"a\\b.py": ""}}, "separators"),
        ({"issue": {"title": "t"}, "files": {"C:/x.py": ""}}, "separators"),
        ({"issue": {"title": "t"}, "files": {".git/config": ""}}, ".git"),
        ({"issue": {"title": "t"}, "files": {"sub/.GIT/hooks/pre-commit": ""}}, ".git"),
        ({"issue": {"title": "t"}, "files": {".Git/config": ""}}, ".git"),
        ({"issue": {"title": "t"}, "files": {"a\nb.py": ""}}, "control"),
        ({"issue": {"title": "t"}, "files": {"a\x1b[2J.py": ""}}, "control"),
        ({"issue": {"title": "t"}, "files": {"evil\u202egnp.py": ""}}, "bidi"),
        ({"issue": {"title": "t"}, "files": {"a\u2066b.py": ""}}, "bidi"),
        ({"issue": {"title": "t"}, "files": {"a//b.py": ""}}, "empty"),
        ({"issue": {"title": "t"}, "files": {"pkg": "", "pkg/a.py": ""}}, "both as a file"),
        ({"issue": {"title": "t"}, "files": {f"f{i}.py": "" for i in range(4)}}, "at most 3 files"),
        ({"issue": {"title": "t"}, "files": {"big.py": "x" * 101}}, "larger than 100 bytes"),
        ({"issue": {"title": "t"}, "files": {"a.py": ""}, "extra": 1}, "extra"),
    ],
)
def test_invalid_requests_get_422_with_a_clear_reason(edge, redis_client, body, expected) -> None:
    answer = _post(edge, body)
    assert answer.status_code == 422, answer.text
    assert expected in answer.text
    assert redis_client.llen(REPAIR_QUEUE) == 0


def test_non_json_is_422_and_oversized_is_413(edge, redis_client) -> None:
    garbage = httpx.post(f"{edge.url}/repair", content=b"{nope", headers=AUTH)
    assert garbage.status_code == 422
    big = _post(edge, {"issue": {"title": "t", "body": "x" * 5000}, "files": {"a.py": ""}})
    assert big.status_code == 413
    assert redis_client.llen(REPAIR_QUEUE) == 0


@pytest.mark.parametrize("job_id", ["0" * 32, "not-a-job", "A" * 32])
def test_unknown_jobs_are_404(edge, redis_client, job_id) -> None:
    assert httpx.get(f"{edge.url}/jobs/{job_id}", headers=AUTH).status_code == 404


def test_redis_down_is_503_for_post_and_get(edge, redis_server, redis_client) -> None:
    job_id = _post(edge, GOOD).json()["job_id"]
    redis_server.stop()
    try:
        assert _post(edge, GOOD).status_code == 503
        assert httpx.get(f"{edge.url}/jobs/{job_id}", headers=AUTH).status_code == 503
    finally:
        redis_server.start()
    assert redis_server.client().llen(REPAIR_QUEUE) == 1
    assert httpx.get(f"{edge.url}/jobs/{job_id}", headers=AUTH).json()["status"] == "queued"
