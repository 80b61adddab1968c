"""Outcome rules as pure functions: which webhooks become ledger jobs, reduced to which facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.outcome_payloads import pull_closed, push
from tests.support.webhooks import repo_variant
from workers.intake.jobs import Job, JobKind
from workers.intake.outcomes import OutcomeKind
from workers.intake.triggers import Delivery, Ignored, TriggerRules, decide

REPO, INSTALLATION = "acme/shop", 5
SHA = "0123456789abcdef0123456789abcdef01234567"


def _decide(event: str, payload: dict) -> Job | Ignored:
    return decide(Delivery(event, "d-1", payload), TriggerRules())


def test_a_merged_pull_request_of_the_app_is_a_merged_fact_with_its_merge_commit() -> None:
    job = _decide("pull_request", pull_closed(REPO, INSTALLATION, 7, "iquest/issue-3", merged=True,
                                              merge_sha=SHA, at="2026-12-08T12:30:00Z"))
    assert isinstance(job, Job) and job.kind is JobKind.LEDGER and job.task_name == "iquest.ledger"
    assert job.number == 7 and job.repo_full_name == REPO
    assert job.outcome.kind is OutcomeKind.MERGED and job.outcome.merge_sha == SHA
    assert job.outcome.at == datetime(2026, 12, 8, 12, 30, tzinfo=UTC)
    # The message survives the queue's JSON round trip.
    assert Job.model_validate_json(job.model_dump_json()) == job


def test_closed_without_merge_and_someone_elses_pull_request() -> None:
    job = _decide("pull_request", pull_closed(REPO, INSTALLATION, 8, "iquest/pr-2", merged=False))
    assert job.outcome.kind is OutcomeKind.CLOSED and job.outcome.merge_sha == ""
    ignored = _decide("pull_request", pull_closed(REPO, INSTALLATION, 9, "feature", merged=True))
    assert ignored == Ignored("pull request branch 'feature' is not one of the app's")


@pytest.mark.parametrize("action,kind", [("reopened", OutcomeKind.REOPENED),
                                         ("ready_for_review", OutcomeKind.READY_FOR_REVIEW)])
def test_reopened_and_ready_for_review(action: str, kind: OutcomeKind) -> None:
    payload = pull_closed(REPO, INSTALLATION, 7, "iquest/issue-3", merged=False)
    payload["action"] = action
    assert _decide("pull_request", payload).outcome.kind is kind


def test_a_merge_by_a_bot_still_counts() -> None:
    payload = pull_closed(REPO, INSTALLATION, 7, "iquest/issue-3", merged=True, merge_sha=SHA)
    payload["sender"] = {"login": "merge-queue[bot]", "type": "Bot"}
    assert _decide("pull_request", payload).outcome.kind is OutcomeKind.MERGED


def test_pushes_on_the_apps_branch_count_only_peoples_commits() -> None:
    own = push(REPO, INSTALLATION, "iquest/issue-3", ["Fix #3\n\nGenerated-by: iquest-autofix\n",
                                                       "Merge branch 'main' into iquest/issue-3"])
    assert _decide("push", own) == Ignored("push to the app's branch holds only its own commits")
    edited = push(REPO, INSTALLATION, "iquest/issue-3", ["Fix #3\n\nGenerated-by: iquest-autofix\n",
                                                          "Rename the helper"])
    job = _decide("push", edited)
    assert job.outcome.kind is OutcomeKind.EDITED and job.outcome.commits == 1 and job.number is None


def test_a_revert_on_the_default_branch_names_the_reverted_commit() -> None:
    job = _decide("push", push(REPO, INSTALLATION, "main", [f'Revert "Fix #3"\n\nThis reverts commit {SHA}.']))
    assert job.outcome.kind is OutcomeKind.REVERTED and job.outcome.reverted_shas == (SHA,)
    plain = push(REPO, INSTALLATION, "main", ["Bump version"])
    assert _decide("push", plain) == Ignored("push to the default branch reverts nothing")


def test_a_committed_suggestion_names_the_bot_co_author() -> None:
    message = ("Apply suggestions from code review\n\nCo-authored-by: iquest-autofix[bot] "
               "<1+iquest-autofix[bot]@users.noreply.github.com>")
    job = _decide("push", push(REPO, INSTALLATION, "feature/login", [message]))
    assert job.outcome.kind is OutcomeKind.SUGGESTION_COMMITTED
    assert job.outcome.branch == "feature/login" and job.outcome.coauthors == ("iquest-autofix[bot]",)
    person = push(REPO, INSTALLATION, "feature/login", ["Pair work\n\nCo-authored-by: Bob <bob@example.com>"])
    assert isinstance(_decide("push", person), Ignored)


def test_deleted_branches_and_tags_are_ignored() -> None:
    gone = push(REPO, INSTALLATION, "iquest/issue-3", ["x"])
    gone["deleted"] = True
    assert isinstance(_decide("push", gone), Ignored)
    tag = push(REPO, INSTALLATION, "main", ["x"])
    tag["ref"] = "refs/tags/v1"
    assert isinstance(_decide("push", tag), Ignored)


def test_a_review_requesting_changes_carries_the_fact_on_its_follow_up() -> None:
    payload = repo_variant(
        "pull_request_review/submitted.json", REPO, INSTALLATION,
        **{"pull_request.head.ref": "iquest/issue-3", "review.state": "changes_requested",
           "review.author_association": "OWNER", "review.user": {"login": "alice", "type": "User"},
           "sender": {"login": "alice", "type": "User"}},
    )
    job = _decide("pull_request_review", payload)
    assert job.kind is JobKind.REVIEW_FOLLOWUP
    assert job.outcome.kind is OutcomeKind.CHANGES_REQUESTED and job.outcome.number == job.number
