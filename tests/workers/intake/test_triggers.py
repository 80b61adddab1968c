"""Trigger rules as pure functions (the HTTP path is covered in tests/service)."""

from __future__ import annotations

from tests.support.webhooks import variant
from workers.intake.jobs import JobKind, TriggerSource, job_id_for_delivery
from workers.intake.triggers import Delivery, Ignored, TriggerRules, decide

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


def _failed_check(**changes: object) -> dict:
    return variant(
        "check_run/rerequested.json",
        **{
            "action": "completed",
            "check_run.conclusion": "failure",
            "check_run.check_suite.head_branch": "iquest/issue-7",
            "check_run.pull_requests": [{"number": 12, "head": {"ref": "iquest/issue-7"}}],
            **changes,
        },
    )


def test_failed_check_on_the_apps_branch_becomes_a_ci_followup() -> None:
    payload = _failed_check()
    job = decide(Delivery("check_run", "d-9", payload), RULES)
    assert not isinstance(job, Ignored)
    assert job.kind is JobKind.CI_FOLLOWUP and job.task_name == "iquest.ci_followup"
    assert job.source is TriggerSource.CHECK_RUN
    assert (job.number, job.check_run_id) == (12, payload["check_run"]["id"])
    assert job.installation_id == payload["installation"]["id"]
    assert job.target_key == f"{payload['repository']['full_name']}#12"


def test_timed_out_counts_as_failed() -> None:
    job = decide(Delivery("check_run", "d", _failed_check(**{"check_run.conclusion": "timed_out"})),
                 RULES)
    assert not isinstance(job, Ignored) and job.kind is JobKind.CI_FOLLOWUP


def test_the_app_itself_as_sender_still_counts_for_a_check_run() -> None:
    # GitHub Actions sends the pusher as sender, and on the app's branch that is the app.
    payload = _failed_check(**{"sender.login": "iquest-autofix[bot]", "sender.type": "Bot"})
    assert decide(Delivery("check_run", "d", payload), RULES).kind is JobKind.CI_FOLLOWUP


def test_check_runs_that_ask_for_nothing_are_ignored() -> None:
    cases = {
        "check run conclusion 'success'": _failed_check(**{"check_run.conclusion": "success"}),
        "check run conclusion 'cancelled'": _failed_check(**{"check_run.conclusion": "cancelled"}),
        "branch 'feature' is not one of the app's": _failed_check(
            **{"check_run.check_suite.head_branch": "feature"}
        ),
        "belongs to no pull request": _failed_check(**{"check_run.pull_requests": []}),
        "no installation": _failed_check(installation=None),
        "not one the app acts on": _failed_check(action="rerequested"),
    }
    for reason, payload in cases.items():
        decision = decide(Delivery("check_run", "d", payload), RULES)
        assert isinstance(decision, Ignored) and reason in decision.reason, (reason, decision)
    assert decide(Delivery("check_run", "d", _failed_check(**{"check_run": {}})), RULES) == Ignored(
        "check run conclusion 'None' asks for no follow-up"
    )


def test_bot_senders_are_still_ignored_elsewhere() -> None:
    payload = variant(
        "pull_request_review/submitted.json",
        **{"pull_request.head.ref": "iquest/issue-1", "sender.type": "Bot"},
    )
    assert decide(Delivery("pull_request_review", "d", payload), RULES) == Ignored("sender is a bot")
