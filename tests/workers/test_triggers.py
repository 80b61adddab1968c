"""Trigger rules as pure functions (the HTTP path is covered in tests/service)."""

from __future__ import annotations

from tests.support.webhooks import variant
from workers.jobs import JobKind, TriggerSource, job_id_for_delivery
from workers.triggers import Delivery, Ignored, TriggerRules, decide

RULES = TriggerRules()


def test_labeled_issue_becomes_fix_issue_job_with_ids_only() -> None:
    payload = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 9}})
    job = decide(Delivery("issues", "d-1", payload), RULES)
    assert not isinstance(job, Ignored)
    assert job.kind is JobKind.FIX_ISSUE
    assert job.source is TriggerSource.ISSUE
    assert job.installation_id == 9
    assert job.repo_full_name == payload["repository"]["full_name"]
    assert job.number == payload["issue"]["number"]
    assert job.job_id == job_id_for_delivery("d-1")
    assert job.task_name == "iquest.fix_issue"


def test_custom_label_and_command_word() -> None:
    rules = TriggerRules(label="bot-fix", command_word="bot")
    labeled = variant("issues/labeled.json", **{"label.name": "autofix", "installation": {"id": 9}})
    assert isinstance(decide(Delivery("issues", "d", labeled), rules), Ignored)
    labeled["label"]["name"] = "bot-fix"
    assert not isinstance(decide(Delivery("issues", "d", labeled), rules), Ignored)
    comment = variant("issue_comment/created.with-installation.json", **{"comment.body": "/bot help"})
    assert decide(Delivery("issue_comment", "d", comment), rules).kind is JobKind.HELP


def test_closed_issue_label_is_ignored() -> None:
    payload = variant(
        "issues/labeled.json",
        **{"label.name": "autofix", "installation": {"id": 9}, "issue.state": "closed"},
    )
    assert decide(Delivery("issues", "d", payload), RULES) == Ignored("issue is not open")


def test_app_bot_sender_is_ignored() -> None:
    payload = variant(
        "issue_comment/created.with-installation.json",
        **{"comment.body": "/iquest fix", "sender.login": "iquest-autofix[bot]", "sender.type": "User"},
    )
    assert decide(Delivery("issue_comment", "d", payload), RULES) == Ignored("sender is a bot")


def test_review_comment_command_carries_comment_id() -> None:
    payload = variant("pull_request_review_comment/created.json", **{"comment.body": "/iquest fix"})
    job = decide(Delivery("pull_request_review_comment", "d", payload), RULES)
    assert job.kind is JobKind.FIX_REVIEW_THREAD
    assert job.comment_id == payload["comment"]["id"]
    assert job.number == payload["pull_request"]["number"]


def test_lenient_parsing_of_missing_fields() -> None:
    assert isinstance(decide(Delivery("issues", "d", {"action": "labeled"}), RULES), Ignored)
    assert isinstance(decide(Delivery("issue_comment", "d", {"action": "created"}), RULES), Ignored)
    payload = {"action": "labeled", "label": {"name": "autofix"}, "installation": {"id": 1},
               "repository": {"full_name": "o/r"}, "issue": {}}
    assert decide(Delivery("issues", "d", payload), RULES) == Ignored(
        "delivery names no issue or pull request number"
    )
    assert isinstance(decide(Delivery("unknown_event", "d", {}), RULES), Ignored)
