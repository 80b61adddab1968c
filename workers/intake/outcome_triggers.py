"""Trigger rules for the outcome ledger: webhooks about the app's fixes become ledger jobs.

Pure and cheap like every rule: the payload is reduced here to an `OutcomeEvent` (a few
fields), so the ledger job needs no GitHub call and no model. Registered on typed (event,
action) pairs through `triggers.on`; senders may be bots (a merge queue merges too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workers.intake.jobs import JobKind, TriggerSource
from workers.intake.outcomes import OutcomeEvent, OutcomeKind, github_time
from workers.intake.triggers import (
    BOT_BRANCH_PREFIX,
    Decision,
    Delivery,
    Event,
    Ignored,
    TriggerRules,
    _get,
    _job,
    _section,
    _text,
    on,
)

# The trailer on every commit the app writes (workers/pipeline/publish/draft_pr.py; intake
# may not import the pipeline, so it is spelled again here).
APP_COMMIT_TRAILER = "Generated-by: iquest-autofix"
# GitHub's own wording when its Revert button (or `git revert`) writes the commit.
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
# Suggestion commits name each suggestion's author as co-author; the app's is a "[bot]".
_COAUTHOR = re.compile(r"^Co-authored-by:\s*([^<\n]+?\[bot\])\s*<", re.MULTILINE | re.IGNORECASE)
_HEADS = "refs/heads/"


def _ledger_job(delivery: Delivery, outcome: OutcomeEvent) -> Decision:
    return _job(delivery, JobKind.LEDGER, outcome.number, TriggerSource.API, outcome=outcome)


def _apps_pull(payload: Mapping[str, Any]) -> Mapping[str, Any] | Ignored:
    pull = _section(payload, "pull_request")
    head_ref = _text(_get(pull, "head", "ref"))
    if not head_ref.startswith(BOT_BRANCH_PREFIX):
        return Ignored(f"pull request branch '{head_ref}' is not one of the app's")
    return pull


@on(Event.PULL_REQUEST, "closed", bot_senders=True)
def _pull_closed(delivery: Delivery, rules: TriggerRules) -> Decision:
    pull = _apps_pull(delivery.payload)
    if isinstance(pull, Ignored):
        return pull
    if pull.get("merged") is True:
        outcome = OutcomeEvent(
            kind=OutcomeKind.MERGED, at=github_time(pull.get("merged_at")), number=pull.get("number"),
            branch=_text(_get(pull, "head", "ref")), merge_sha=_text(pull.get("merge_commit_sha")),
        )
    else:
        outcome = OutcomeEvent(kind=OutcomeKind.CLOSED, at=github_time(pull.get("closed_at")),
                               number=pull.get("number"))
    return _ledger_job(delivery, outcome)


def _pull_fact(kind: OutcomeKind, field: str):  # type: ignore[no-untyped-def]
    def rule(delivery: Delivery, rules: TriggerRules) -> Decision:
        pull = _apps_pull(delivery.payload)
        if isinstance(pull, Ignored):
            return pull
        return _ledger_job(delivery, OutcomeEvent(kind=kind, at=github_time(pull.get(field)),
                                                  number=pull.get("number")))

    return rule


on(Event.PULL_REQUEST, "reopened", bot_senders=True)(_pull_fact(OutcomeKind.REOPENED, "updated_at"))
on(Event.PULL_REQUEST, "ready_for_review", bot_senders=True)(
    _pull_fact(OutcomeKind.READY_FOR_REVIEW, "updated_at")
)


@on(Event.PUSH, None, bot_senders=True)
def _push(delivery: Delivery, rules: TriggerRules) -> Decision:
    payload = delivery.payload
    ref = _text(payload.get("ref"))
    if not ref.startswith(_HEADS) or payload.get("deleted") is True:
        return Ignored(f"push to '{ref}' changes no branch's commits")
    branch = ref[len(_HEADS):]
    commits = [c for c in payload.get("commits") or [] if isinstance(c, Mapping)]
    messages = [_text(c.get("message")) for c in commits]
    at = github_time(_get(payload, "head_commit", "timestamp"))
    if branch == _text(_get(payload, "repository", "default_branch")):
        reverted = tuple(sha for message in messages for sha in _REVERTS.findall(message))
        if not reverted:
            return Ignored("push to the default branch reverts nothing")
        return _ledger_job(delivery, OutcomeEvent(kind=OutcomeKind.REVERTED, at=at, branch=branch,
                                                  reverted_shas=reverted))
    if branch.startswith(BOT_BRANCH_PREFIX):
        # A person's commit lacks the app's trailer; a merge of the base branch ("Update
        # branch") edits nothing of the fix.
        people = [m for m in messages if APP_COMMIT_TRAILER not in m and not m.startswith("Merge ")]
        if not people:
            return Ignored("push to the app's branch holds only its own commits")
        return _ledger_job(delivery, OutcomeEvent(kind=OutcomeKind.EDITED, at=at, branch=branch,
                                                  commits=len(people)))
    coauthors = sorted({name.strip() for m in messages for name in _COAUTHOR.findall(m)})
    if not coauthors:
        return Ignored("push holds no commit co-authored by a bot (no committed suggestion)")
    committed = sum(1 for m in messages if _COAUTHOR.search(m))
    return _ledger_job(delivery, OutcomeEvent(kind=OutcomeKind.SUGGESTION_COMMITTED, at=at,
                                              branch=branch, commits=committed,
                                              coauthors=tuple(coauthors)))
