"""Job messages: GitHub jobs still need their ids; API jobs carry none; old messages still load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workers.intake.jobs import Job, JobKind, TriggerSource

OLD_MESSAGE = {
    "kind": "fix_issue", "job_id": "j", "delivery_id": "d", "installation_id": 7,
    "repo_full_name": "acme/app", "number": 3, "source": "issue", "sender_login": "alice",
    "comment_id": None, "review_id": None,
}


def test_a_message_queued_before_api_jobs_still_validates() -> None:
    job = Job.model_validate(OLD_MESSAGE)
    assert (job.owner, job.repo, job.target_key) == ("acme", "app", "acme/app#3")


@pytest.mark.parametrize("missing", ["installation_id", "repo_full_name", "number", "sender_login"])
def test_github_jobs_still_require_their_ids(missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        Job.model_validate({k: v for k, v in OLD_MESSAGE.items() if k != missing})


def test_a_repair_job_needs_no_repository_and_locks_on_itself() -> None:
    job = Job(kind=JobKind.REPAIR, job_id="abc", delivery_id="d", source=TriggerSource.API)
    assert job.task_name == "iquest.repair"
    assert job.target_key == "repair:abc"
    with pytest.raises(ValueError, match="no repository"):
        _ = job.owner


def test_a_ci_followup_carries_its_check_run_and_locks_on_the_pull() -> None:
    job = Job.model_validate({**OLD_MESSAGE, "kind": "ci_followup", "source": "check_run",
                              "check_run_id": 55})
    assert (job.task_name, job.check_run_id, job.target_key) == ("iquest.ci_followup", 55,
                                                                 "acme/app#3")
    assert Job.model_validate(OLD_MESSAGE).check_run_id is None
