"""The `iquest` check run of `/iquest fix` on a pull request: its states, the annotations on
exactly the changed lines, its buttons, and a button press run as a job with the presser's
permission checked. Real receiver, Redis, Celery worker, the fake GitHub, the scripted model.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ErrorReply
from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import (
    PERCENT_FIX,
    REPO,
    deliver,
    open_percent_pull,
    seed_calc,
    status_comment,
)
from tests.workers.handlers.test_fix_pull import _ask, _reply

CREATE = "POST /repos/{owner}/{repo}/check-runs"
UPDATE = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"


@pytest.fixture
def pull(fake_github):
    seed_calc(fake_github, alice="write", mallory="read")
    return open_percent_pull(fake_github)


def _runs(fake_github) -> dict[int, list[dict]]:
    """check run id → the bodies it was created and updated with, in order."""
    runs: dict[int, list[dict]] = {}
    created = fake_github.calls(CREATE)
    for call, run_id in zip(created, sorted(fake_github.repo(REPO).check_runs), strict=True):
        runs[run_id] = [call.body]
    for call in fake_github.calls(UPDATE):
        runs[int(call.path.rsplit("/", 1)[1])].append(call.body)
    return runs


def _press(fake_github, receiver, run_id: int, identifier: str, login: str) -> None:
    run = fake_github.repo(REPO).check_runs[run_id]
    deliver(receiver, "check_run", "check_run/requested_action.json", **{
        "check_run.id": run_id, "check_run.name": "iquest", "check_run.head_sha": run.head_sha,
        "check_run.external_id": run.external_id, "requested_action.identifier": identifier,
        "sender.login": login})


def test_suggestions_get_a_check_run_and_open_as_draft_pr_pushes_one(
    fake_github, model_server, pull, receiver, worker
) -> None:
    model_server.script(_reply(PERCENT_FIX), _reply(PERCENT_FIX))
    head = fake_github.repo(REPO).refs["refs/heads/feature"]
    _ask(fake_github, receiver, pull.number, "/iquest fix percent should be out of 100")
    wait_until(lambda: "Posted a review" in status_comment(fake_github, pull.number),
               timeout=60, what="the review")
    [(run_id, bodies)] = _runs(fake_github).items()
    assert bodies[0]["head_sha"] == head and bodies[0]["status"] == "queued"
    assert [b["status"] for b in bodies] == ["queued", "in_progress", "completed"]
    final = bodies[-1]
    assert final["conclusion"] == "neutral"
    assert "`percent` scales by 10" in final["output"]["summary"] and "`calc.py`" in final["output"]["summary"]
    assert "parses" in final["output"]["summary"]
    # Only the line the suggestion replaces on the PR head (the `return` of `percent`).
    [annotation] = final["output"]["annotations"]
    assert (annotation["path"], annotation["start_line"], annotation["end_line"]) == ("calc.py", 23, 23)
    assert [a["identifier"] for a in final["actions"]] == ["draft_pr"]

    _press(fake_github, receiver, run_id, "draft_pr", "alice")
    wait_until(lambda: "opened draft pull request" in status_comment(fake_github, pull.number),
               timeout=60, what="the stacked draft PR")
    stacked = [p for p in fake_github.pulls(REPO) if p.number != pull.number]
    assert len(stacked) == 1
    runs = _runs(fake_github)
    on_pushed = [b for b in runs.values() if b[0]["head_sha"] == stacked[0].head_sha()]
    assert len(on_pushed) == 1
    annotations = on_pushed[0][-1]["output"]["annotations"]
    # The commit the app pushed: annotated on the three lines it added, nothing else.
    assert [(a["path"], a["start_line"], a["end_line"]) for a in annotations] == [("calc.py", 23, 25)]
    latest_on_head = max(r for r, b in runs.items() if b[0]["head_sha"] == head)
    assert [a["identifier"] for a in runs[latest_on_head][-1]["actions"]] == ["suggestions"]


def test_a_failed_fix_offers_retry_and_a_press_without_permission_is_refused(
    fake_github, model_server, pull, receiver, worker
) -> None:
    model_server.script(ErrorReply(400, "prompt is longer than the context"))
    _ask(fake_github, receiver, pull.number, "/iquest fix")
    wait_until(lambda: "No fix this time" in status_comment(fake_github, pull.number),
               timeout=60, what="the failure")
    [(run_id, bodies)] = _runs(fake_github).items()
    assert bodies[-1]["conclusion"] == "failure"
    assert [a["identifier"] for a in bodies[-1]["actions"]] == ["retry"]
    _press(fake_github, receiver, run_id, "retry", "mallory")
    wait_until(lambda: any("@mallory" in c.body and "`read` permission" in c.body
                           for c in fake_github.comments(REPO, pull.number) if c.user.type == "Bot"),
               timeout=60, what="the refusal")
    assert "No fix this time" in status_comment(fake_github, pull.number)  # left as it was
    assert len(model_server.chat_requests()) == 1
    assert len(_runs(fake_github)) == 1
