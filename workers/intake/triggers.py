"""Trigger rules, pure: a webhook event either becomes a job or is ignored with a reason.

Routes are registered on typed (event, action) pairs next to their rule, bedevere-style.
The rules read the payload leniently: real deliveries miss fields and add new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workers.intake.commands import Command, CommandKind, parse_command
from workers.intake.jobs import (
    CancelReason,
    CheckButton,
    Job,
    JobKind,
    TriggerSource,
    job_id_for_delivery,
)
from workers.intake.outcomes import OutcomeEvent, OutcomeKind, github_time

BOT_BRANCH_PREFIX = "iquest/"
# Who may trigger from a comment, before the worker re-checks live permission.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})


class Event(StrEnum):
    PING = "ping"
    ISSUES = "issues"
    ISSUE_COMMENT = "issue_comment"
    PULL_REQUEST_REVIEW = "pull_request_review"
    PULL_REQUEST_REVIEW_COMMENT = "pull_request_review_comment"
    CHECK_RUN = "check_run"
    CODE_SCANNING_ALERT = "code_scanning_alert"
    PULL_REQUEST = "pull_request"  # outcomes of the app's pull requests (outcome_triggers)
    PUSH = "push"  # edits on its branches, reverts on the default branch, committed suggestions


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class TriggerRules:
    label: str = "autofix"
    command_word: str = "iquest"


@dataclass(frozen=True)
class Delivery:
    event: str
    delivery_id: str
    payload: Mapping[str, Any]


Decision = Job | Ignored
Rule = Callable[[Delivery, TriggerRules], Decision]
_ROUTES: dict[tuple[Event, str | None], Rule] = {}
# Rules that expect a bot sender: a check run's sender is whoever pushed the commit, and on
# the app's own branch that is the app itself. Such rules bound their own loops.
_BOT_SENDERS_EXPECTED: set[Rule] = set()


def on(
    event: Event, action: str | None = None, *, bot_senders: bool = False
) -> Callable[[Rule], Rule]:
    def register(rule: Rule) -> Rule:
        _ROUTES[(event, action)] = rule
        if bot_senders:
            _BOT_SENDERS_EXPECTED.add(rule)
        return rule

    return register


def decide(delivery: Delivery, rules: TriggerRules) -> Decision:
    payload = delivery.payload
    action = payload.get("action") if isinstance(payload, Mapping) else None
    if action is not None and not isinstance(action, str):
        # Signed but malformed (no GitHub event has a non-string action): ignored, not a 500.
        return Ignored("the payload's action is not a string")
    try:
        event = Event(delivery.event)
    except ValueError:
        return Ignored(f"event '{delivery.event}' is not one the app acts on")
    rule = _ROUTES.get((event, action)) or _ROUTES.get((event, None))
    if rule is None:
        return Ignored(f"{delivery.event}.{action} is not one the app acts on")
    if _is_bot(payload.get("sender")) and rule not in _BOT_SENDERS_EXPECTED:
        return Ignored("sender is a bot")
    return rule(delivery, rules)


@on(Event.PING)
def _ping(delivery: Delivery, rules: TriggerRules) -> Decision:
    return Ignored("pong")


@on(Event.ISSUES, "labeled")
def _issue_labeled(delivery: Delivery, rules: TriggerRules) -> Decision:
    payload = delivery.payload
    label = _get(payload, "label", "name")
    if label != rules.label:
        return Ignored(f"label '{label}' is not '{rules.label}'")
    issue = _section(payload, "issue")
    if issue.get("state") not in (None, "open"):
        return Ignored("issue is not open")
    return _job(delivery, JobKind.FIX_ISSUE, issue.get("number"), TriggerSource.ISSUE)


@on(Event.ISSUES, "unlabeled")
def _issue_unlabeled(delivery: Delivery, rules: TriggerRules) -> Decision:
    label = _get(delivery.payload, "label", "name")
    if label != rules.label:
        return Ignored(f"label '{label}' is not '{rules.label}'")
    number = _get(delivery.payload, "issue", "number")
    return _job(delivery, JobKind.CANCEL, number, TriggerSource.ISSUE,
                cancel_reason=CancelReason.UNLABELED)


@on(Event.ISSUES, "closed")
def _issue_closed(delivery: Delivery, rules: TriggerRules) -> Decision:
    # The worker drops any job still queued or running for it; with none, it does nothing.
    number = _get(delivery.payload, "issue", "number")
    return _job(delivery, JobKind.CANCEL, number, TriggerSource.ISSUE,
                cancel_reason=CancelReason.CLOSED)


def _command_in(comment: Mapping[str, Any], rules: TriggerRules, where: str) -> Command | Ignored:
    """The command a trusted human's comment asks for, or why it asks for nothing."""
    refusal = _refuse_commenter(comment)
    if refusal:
        return refusal
    command = parse_command(comment.get("body"), rules.command_word)
    if command is None:
        return Ignored(f"{where} has no /{rules.command_word} command")
    return command


@on(Event.ISSUE_COMMENT, "created")
def _issue_comment(delivery: Delivery, rules: TriggerRules) -> Decision:
    comment = _section(delivery.payload, "comment")
    command = _command_in(comment, rules, "comment")
    if isinstance(command, Ignored):
        return command
    issue = _section(delivery.payload, "issue")
    reason = None
    if command.kind is CommandKind.HELP:
        kind = JobKind.HELP
    elif command.kind is CommandKind.CANCEL:
        kind, reason = JobKind.CANCEL, CancelReason.REQUESTED
    else:
        kind = JobKind.FIX_PULL if issue.get("pull_request") else JobKind.FIX_ISSUE
    return _job(
        delivery, kind, issue.get("number"), TriggerSource.ISSUE_COMMENT,
        comment_id=comment.get("id"), cancel_reason=reason,
    )


@on(Event.PULL_REQUEST_REVIEW_COMMENT, "created")
def _review_comment(delivery: Delivery, rules: TriggerRules) -> Decision:
    comment = _section(delivery.payload, "comment")
    # Plain comments on the bot's own PR arrive again as one pull_request_review.
    command = _command_in(comment, rules, "review comment")
    if isinstance(command, Ignored):
        return command
    kind = {CommandKind.HELP: JobKind.HELP, CommandKind.CANCEL: JobKind.CANCEL}.get(
        command.kind, JobKind.FIX_REVIEW_THREAD
    )
    reason = CancelReason.REQUESTED if kind is JobKind.CANCEL else None
    number = _get(delivery.payload, "pull_request", "number")
    return _job(
        delivery, kind, number, TriggerSource.REVIEW_COMMENT, comment_id=comment.get("id"),
        cancel_reason=reason,
    )


@on(Event.PULL_REQUEST_REVIEW, "submitted")
def _review_submitted(delivery: Delivery, rules: TriggerRules) -> Decision:
    payload = delivery.payload
    head_ref = _text(_get(payload, "pull_request", "head", "ref"))
    if not head_ref.startswith(BOT_BRANCH_PREFIX):
        return Ignored(f"pull request branch '{head_ref}' is not one of the app's")
    review = _section(payload, "review")
    refusal = _refuse_commenter(review)
    if refusal:
        return refusal
    state = _text(review.get("state")).lower()
    if state == "approved":
        return Ignored("an approval asks for no follow-up")
    if state not in ("changes_requested", "commented"):
        return Ignored(f"review state '{state}' asks for no follow-up")
    number = _get(payload, "pull_request", "number")
    job = _job(
        delivery, JobKind.REVIEW_FOLLOWUP, number, TriggerSource.REVIEW, review_id=review.get("id")
    )
    if state == "changes_requested" and isinstance(job, Job):
        # The outcome ledger counts it; the worker records it before the follow-up runs.
        job = job.model_copy(update={"outcome": OutcomeEvent(
            kind=OutcomeKind.CHANGES_REQUESTED, at=github_time(review.get("submitted_at")),
            number=number)})
    return job


@on(Event.CHECK_RUN, "completed", bot_senders=True)
def _check_run_completed(delivery: Delivery, rules: TriggerRules) -> Decision:
    check_run = _section(delivery.payload, "check_run")
    conclusion = check_run.get("conclusion")
    if conclusion not in FAILED_CONCLUSIONS:
        return Ignored(f"check run conclusion '{conclusion}' asks for no follow-up")
    head_branch = _text(_get(check_run, "check_suite", "head_branch"))
    if not head_branch.startswith(BOT_BRANCH_PREFIX):
        return Ignored(f"check run branch '{head_branch}' is not one of the app's")
    # GitHub lists only PRs of this repository whose head is the checked commit; a fork's
    # PR, or a commit no PR points at any more, gives none.
    pulls = check_run.get("pull_requests")
    number = _get(pulls[0], "number") if isinstance(pulls, list) and pulls else None
    if number is None:
        return Ignored("check run belongs to no pull request")
    if _positive_int(check_run.get("id")) is None:
        return Ignored("delivery names no check run")
    return _job(
        delivery, JobKind.CI_FOLLOWUP, number, TriggerSource.CHECK_RUN,
        check_run_id=check_run.get("id"),
    )


# The app's own check run, and the job kinds its buttons can run again (see
# workers/handlers/check_report.py: external_id is "<kind>:<number>").
CHECK_RUN_NAME = "iquest"
_BUTTON_KINDS = {JobKind.FIX_PULL.value: JobKind.FIX_PULL,
                 # "Open as draft PR" on an unverified issue fix held back by require_verified.
                 JobKind.FIX_ISSUE.value: JobKind.FIX_ISSUE}


@on(Event.CHECK_RUN, "requested_action")
def _check_run_button(delivery: Delivery, rules: TriggerRules) -> Decision:
    check_run = _section(delivery.payload, "check_run")
    name = _text(check_run.get("name"))
    if name != CHECK_RUN_NAME:
        return Ignored(f"check run '{name}' is not the app's")
    kind_name, _, number = _text(check_run.get("external_id")).partition(":")
    kind = _BUTTON_KINDS.get(kind_name)
    if kind is None or not (number.isascii() and number.isdigit()):
        return Ignored("check run names no job its buttons can run")
    identifier = _text(_get(delivery.payload, "requested_action", "identifier"))
    if identifier not in set(CheckButton):
        return Ignored(f"button '{identifier}' is not one of the app's")
    pressed = CheckButton(identifier)
    # Whoever pressed it is the sender; the worker checks their live permission.
    return _job(delivery, kind, int(number), TriggerSource.CHECK_RUN, pressed=pressed)


# Issue 24. `created`: a new alert; `reopened`: a fixed one came back; `reopened_by_user`: a
# person reopened one they had dismissed; `appeared_in_branch`: an alert of another branch
# reached this one (a merge). Each is a fix job when it is on the default branch; whether the
# repository wants it (`code_scanning:` settings) the worker decides, as it reads them.
ALERT_ACTIONS = ("created", "reopened", "reopened_by_user", "appeared_in_branch")


def _alert_opened(delivery: Delivery, rules: TriggerRules) -> Decision:
    payload = delivery.payload
    alert = _section(payload, "alert")
    if alert.get("state") not in (None, "open"):
        return Ignored(f"code scanning alert is {alert.get('state')}")
    default = _text(_get(payload, "repository", "default_branch"))
    ref = _text(payload.get("ref"))
    # `reopened_by_user` carries an empty ref (GitHub: the sender acted, not an analysis).
    if ref and default and ref != f"refs/heads/{default}":
        return Ignored(f"code scanning alert is on '{ref}', not the default branch")
    return _job(delivery, JobKind.FIX_ALERT, alert.get("number"), TriggerSource.CODE_SCANNING)


for _action in ALERT_ACTIONS:
    # The sender of an analysis's alert is GitHub or the uploading app: a bot is expected.
    on(Event.CODE_SCANNING_ALERT, _action, bot_senders=True)(_alert_opened)


def _refuse_commenter(authored: Mapping[str, Any]) -> Ignored | None:
    if _is_bot(authored.get("user")):
        return Ignored("author is a bot")
    association = authored.get("author_association")
    if association not in TRUSTED_ASSOCIATIONS:
        return Ignored(f"author association '{association}' may not trigger the app")
    return None


def _job(
    delivery: Delivery,
    kind: JobKind,
    number: Any,
    source: TriggerSource,
    comment_id: Any = None,
    review_id: Any = None,
    check_run_id: Any = None,
    cancel_reason: CancelReason | None = None,
    pressed: CheckButton | None = None,
    outcome: OutcomeEvent | None = None,
) -> Decision:
    payload = delivery.payload
    installation_id = _get(payload, "installation", "id")
    repo_full_name = _get(payload, "repository", "full_name")
    sender = _get(payload, "sender", "login")
    if _positive_int(installation_id) is None:
        return Ignored("delivery has no installation (not sent to a GitHub App)")
    if not isinstance(repo_full_name, str) or "/" not in repo_full_name:
        return Ignored("delivery names no repository")
    if _positive_int(number) is None and not (kind is JobKind.LEDGER and number is None):
        return Ignored("delivery names no issue or pull request number")
    return Job(
        kind=kind,
        job_id=job_id_for_delivery(delivery.delivery_id),
        delivery_id=delivery.delivery_id,
        installation_id=installation_id,
        repo_full_name=repo_full_name,
        number=number,
        source=source,
        sender_login=sender if isinstance(sender, str) else "",
        comment_id=_positive_int(comment_id),
        review_id=_positive_int(review_id),
        check_run_id=_positive_int(check_run_id),
        cancel_reason=cancel_reason,
        pressed=pressed,
        outcome=outcome,
    )


def _is_bot(user: Any) -> bool:
    if not isinstance(user, Mapping):
        return False
    return user.get("type") == "Bot" or _text(user.get("login")).endswith("[bot]")


def _section(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of the payload, or an empty one when it is missing or not an object."""
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _positive_int(value: Any) -> int | None:
    """GitHub's ids and numbers: positive integers that fit a signed 64-bit column (no bools)."""
    if type(value) is int and 0 < value < 2**63:
        return value
    return None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


# The outcome rules register themselves on import; they use `on` and `_job` from above.
from workers.intake import outcome_triggers as _outcome_triggers  # noqa: E402,F401
