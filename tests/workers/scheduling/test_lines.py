"""Waiting lines against a real Redis, filled by the edge's own enqueue script."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
import redis.asyncio

from tests.support.queue import queued_jobs
from workers.intake.enqueue import EnqueueOutcome, RedisEnqueuer
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.scheduling.lines import WaitingLines

_numbers = itertools.count(1)


def _job(kind: JobKind = JobKind.FIX_ISSUE, installation: int = 1, number: int | None = None) -> Job:
    n = number if number is not None else next(_numbers)
    source = TriggerSource.REVIEW if kind is JobKind.REVIEW_FOLLOWUP else TriggerSource.ISSUE
    return Job(
        kind=kind, job_id=f"job-{installation}-{n}-{kind}", delivery_id=f"d-{installation}-{n}-{kind}",
        installation_id=installation, repo_full_name=f"org{installation}/repo", number=n,
        source=source, sender_login="alice",
    )


@pytest.fixture
def enqueue(redis_server, redis_client):
    def put(*jobs: Job) -> None:
        async def run() -> None:
            client = redis.asyncio.Redis.from_url(redis_server.url)
            enqueuer = RedisEnqueuer(client, "iquest", 3600)
            for job in jobs:
                assert (await enqueuer.enqueue(job)).outcome is EnqueueOutcome.QUEUED
            await client.aclose()

        asyncio.run(run())

    return put


def _take_all(lines: WaitingLines) -> list[Job]:
    taken = []
    for ticket in itertools.count():
        claimed = lines.claim(f"ticket-{ticket}")
        if claimed is None:
            return taken
        taken.append(Job.model_validate_json(claimed.job_json))


def test_a_follow_up_queued_after_ten_new_issues_is_taken_first(enqueue, redis_client) -> None:
    new = [_job() for _ in range(10)]
    follow_up = _job(JobKind.REVIEW_FOLLOWUP)
    enqueue(*new, follow_up)
    assert len(queued_jobs(redis_client)) == 11  # one Celery ticket per job
    taken = _take_all(WaitingLines(redis_client, "iquest"))
    assert taken[0] == follow_up
    assert taken[1:] == new


def test_installations_take_turns(enqueue, redis_client) -> None:
    busy = [_job(installation=1) for _ in range(6)]
    quiet = [_job(installation=2) for _ in range(2)]
    third = [_job(installation=3)]
    enqueue(*busy, *quiet, *third)
    order = [job.installation_id for job in _take_all(WaitingLines(redis_client, "iquest"))]
    assert order == [1, 2, 3, 1, 2, 1, 1, 1, 1]


def test_position_counts_what_a_free_worker_takes_first(enqueue, redis_client) -> None:
    lines = WaitingLines(redis_client, "iquest")
    busy = [_job(installation=1) for _ in range(5)]
    quiet = _job(installation=2)
    enqueue(*busy, quiet)
    # The quiet installation's only job goes second, after one of the busy one's.
    assert lines.position(quiet) == 1
    assert [lines.position(job) for job in busy] == [0, 2, 3, 4, 5]
    follow_up = _job(JobKind.REVIEW_FOLLOWUP, installation=3)
    enqueue(follow_up)
    assert lines.position(follow_up) == 0
    assert lines.position(quiet) == 2
    taken = _take_all(lines)
    assert [lines.position(job) for job in taken] == [None] * len(taken)


def test_a_ticket_taken_again_runs_the_same_job(enqueue, redis_client) -> None:
    lines = WaitingLines(redis_client, "iquest")
    first, second = _job(), _job()
    enqueue(first, second)
    assert lines.claim("ticket-a").job_id == first.job_id
    # A redelivered or retried ticket finds its job again rather than taking the next.
    assert lines.claim("ticket-a").job_id == first.job_id
    lines.finish("ticket-a", first)
    assert lines.claim("ticket-b").job_id == second.job_id
    assert lines.claim("ticket-c") is None


def test_a_withdrawn_job_is_never_taken(enqueue, redis_client) -> None:
    lines = WaitingLines(redis_client, "iquest")
    keep, drop = _job(installation=1), _job(installation=2)
    cancel = _job(JobKind.CANCEL, installation=2, number=drop.number)
    enqueue(keep, drop)
    enqueue(cancel)
    assert [j.job_id for j in lines.jobs_on(cancel)] == [drop.job_id]
    assert lines.withdraw(drop)
    assert lines.position(drop) is None
    taken = _take_all(lines)
    assert drop.job_id not in [job.job_id for job in taken]
    assert {job.job_id for job in taken} == {keep.job_id, cancel.job_id}


def test_announcements_only_for_jobs_with_a_status_and_tickets_before_them(enqueue, redis_client) -> None:
    first = _job()
    enqueue(first)  # an empty queue: the next free worker takes it, nothing to announce
    assert redis_client.llen("iquest.notices") == 0
    enqueue(_job(JobKind.HELP), _job(JobKind.REVIEW_FOLLOWUP), _job())
    notices = [json.loads(raw) for raw in redis_client.lrange("iquest.notices", 0, -1)]
    assert [n["headers"]["task"] for n in notices] == ["iquest.announce"] * 2  # not for help
