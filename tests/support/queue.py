"""Reading what the edge queued: Celery tickets in the queue list, jobs on the waiting lines."""

from __future__ import annotations

import base64
import json

import redis

from workers.intake.jobs import Job
from workers.scheduling.lines import JOBS_KEY, NEXT_JOB_TASK


def queued_jobs(client: redis.Redis, queue: str = "iquest") -> list[Job]:
    """The jobs whose tickets are in `queue`, oldest first; every ticket must be one."""
    jobs = []
    for raw in reversed(client.lrange(queue, 0, -1)):  # LPUSHed: the oldest is last
        message = json.loads(raw)
        assert message["headers"]["task"] == NEXT_JOB_TASK, message["headers"]["task"]
        [issued_by], _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert message["headers"]["id"] == issued_by
        stored = client.hget(JOBS_KEY, issued_by)
        assert stored is not None, f"ticket {issued_by} has no job waiting"
        jobs.append(Job.model_validate_json(stored))
    return jobs
