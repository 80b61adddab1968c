"""`/iquest fix` on a pull request: suggestions when the fix stays inside the diff, else a stacked PR.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.worker import wait_until
from tests.workers.handlers.calc_repo import (
    ADD_FIX,
    PERCENT_FIX,
    PR_HEAD,
    REPO,
    deliver,
    model_reply,
    open_fork_pull,
    open_percent_pull,
    seed_calc,
    status_comment,
)


def _reply(*blocks: str) -> ChatReply:
    return model_reply("`percent` scales by 10 instead of 100 and divides by zero.", *blocks)


@pytest.fixture
def pull(fake_github):
    seed_calc(fake_github, alice="write")
    return open_percent_pull(fake_github)


def _ask(fake_github, receiver, number: int, body: str) -> None:
    asking = fake_github.add_issue_comment(REPO, number, body, user="alice")
    deliver(receiver, "issue_comment", "issue_comment/created.pull_request.json", **{
        "issue.number": number,
        "issue.pull_request": {"url": f"https://api.github.com/repos/{REPO}/pulls/{number}"},
        "comment.id": asking.id,
        "comment.body": body,
        "comment.user.login": "alice",
        "comment.author_association": "OWNER",
        "sender.login": "alice",
    })


def test_fix_inside_the_diff_becomes_one_review_of_suggestions(
    fake_github, model_server, pull, receiver, worker
) -> None:
    model_server.script(_reply(PERCENT_FIX))
    _ask(fake_github, receiver, pull.number, "/iquest fix percent should be out of 100")
    wait_until(lambda: "Posted a review" in status_comment(fake_github, pull.number),
               timeout=60, what="the review")

    [review] = fake_github.reviews(REPO, pull.number)
    assert review.state == "COMMENTED"
    assert review.commit_id == fake_github.repo(REPO).refs["refs/heads/feature"]
    assert "scales by 10" in review.body
    assert "## Receipt" in review.body
    assert "Not proven (tests not run: " in review.body and "the sandbox is switched off" in review.body
    [comment] = fake_github.review_comments(REPO, pull.number)
    assert (comment.path, comment.line, comment.start_line, comment.side) == ("calc.py", 23, None, "RIGHT")
    assert comment.body == ("```suggestion\n    if whole == 0:\n        return 0.0\n"
                            "    return part / whole * 100\n```")
    # Nothing was pushed, and the status says what happened.
    assert fake_github.pulls(REPO) == [fake_github.pull(REPO, pull.number)]
    assert not any("iquest/" in ref for ref in fake_github.refs(REPO))
    assert fake_github.reactions(REPO, pull.number) == []  # 👀 went on the asking comment
    assert "1 suggestion" in status_comment(fake_github, pull.number)

    # The model saw the PR head's code, the PR and the reviewer's request, fenced as data.
    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert "Pull request #" in prompt and "Add percent" in prompt
    assert "<request>" in prompt and "out of 100" in prompt
    assert "return part / whole * 10" in prompt


def test_fix_outside_the_diff_becomes_a_stacked_draft_pr(
    fake_github, model_server, pull, receiver, worker
) -> None:
    model_server.script(_reply(PERCENT_FIX, ADD_FIX))
    _ask(fake_github, receiver, pull.number, "/iquest fix")
    wait_until(lambda: "opened draft pull request" in status_comment(fake_github, pull.number),
               timeout=60, what="the stacked PR")

    assert fake_github.reviews(REPO, pull.number) == []
    stacked = next(p for p in fake_github.pulls(REPO) if p.number != pull.number)
    assert stacked.draft
    assert (stacked.head_ref, stacked.base_ref) == (f"iquest/pr-{pull.number}", "feature")
    repo = fake_github.repo(REPO)
    fixed = repo.read_file(stacked.head_ref, "calc.py")
    assert "return a + b" in fixed and "* 100" in fixed
    # Stacked on the PR head; the PR's own branch is untouched.
    assert repo.read_file("feature", "calc.py") == PR_HEAD
    status = status_comment(fake_github, pull.number)
    assert f"#{stacked.number}" in status and "outside the pull request's diff" in status
    description = fake_github.issue(REPO, stacked.number).body
    assert f"#{pull.number}" in description and "Fixes #" not in description
    assert "## Receipt" in description and "it has not been run." in description


def test_fork_pull_gets_the_patch_in_a_comment(
    fake_github, model_server, pull, receiver, worker
) -> None:
    fork_pull = open_fork_pull(fake_github)
    model_server.script(_reply(PERCENT_FIX, ADD_FIX))
    _ask(fake_github, receiver, fork_pull.number, "/iquest fix")
    wait_until(lambda: "from a fork" in status_comment(fake_github, fork_pull.number),
               timeout=60, what="the patch comment")
    bots = [c for c in fake_github.comments(REPO, fork_pull.number) if c.user.type == "Bot"]
    [patch] = [c for c in bots if "iquest:patch" in c.body]
    assert "```diff" in patch.body and "+    return a + b" in patch.body
    assert fake_github.reviews(REPO, fork_pull.number) == []
    assert len(fake_github.pulls(REPO)) == 2  # nothing opened, nothing pushed to the fork
    assert fake_github.repo("mallory/calc").read_file("idea", "calc.py") == PR_HEAD


def test_unusable_model_answer_is_reported_not_posted(
    fake_github, model_server, pull, receiver, worker
) -> None:
    bad = _reply("calc.py\n```python\n<<<<<<< SEARCH\ndef nowhere():\n=======\ndef x():\n"
                 ">>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)
    _ask(fake_github, receiver, pull.number, "/iquest fix")
    wait_until(lambda: "No fix this time" in status_comment(fake_github, pull.number),
               timeout=60, what="the refusal")
    assert fake_github.reviews(REPO, pull.number) == []
    assert len(fake_github.pulls(REPO)) == 1


def test_a_push_while_the_model_works_restarts_the_fix_once_on_the_new_head(
    fake_github, model_server, pull, receiver, worker
) -> None:
    model_server.script(ChatReply(_reply(PERCENT_FIX).content, delay_seconds=2.0), _reply(PERCENT_FIX))
    _ask(fake_github, receiver, pull.number, "/iquest fix percent should be out of 100")
    wait_until(lambda: model_server.in_flight == 1, timeout=60, what="the first model call")
    moved = fake_github.commit_files(REPO, "feature", {"README.md": "# calc\n\nNow with percent.\n"},
                                     author="alice")
    wait_until(lambda: "Posted a review" in status_comment(fake_github, pull.number),
               timeout=60, what="the review")
    assert len(model_server.chat_requests()) == 2
    [review] = fake_github.reviews(REPO, pull.number)
    assert review.commit_id == moved
    restarted = [c.body["body"] for c in fake_github.calls() if c.body and isinstance(c.body, dict)
                 and "moved on while I worked" in str(c.body.get("body", ""))]
    assert len(restarted) == 1


def test_with_narrowing_on_the_model_names_the_code_before_it_fixes_it(
    fake_github, model_server, pull, receiver, launch_worker
) -> None:
    launch_worker(IQUEST_CONTEXT_NARROWING="true", IQUEST_CONTEXT_NARROWING_TOKENS="4000")
    model_server.script(
        ChatReply("calc.py"), ChatReply("calc.py::percent"), _reply(PERCENT_FIX)
    )
    _ask(fake_github, receiver, pull.number, "/iquest fix percent should be out of 100")
    wait_until(lambda: "Posted a review" in status_comment(fake_github, pull.number),
               timeout=60, what="the review")

    files, functions, fix = model_server.chat_requests()
    assert "You help find the code" in files.json["messages"][0]["content"]
    assert "calc.py" in files.json["messages"][0]["content"]
    assert "outlines of the files you picked" in functions.json["messages"][0]["content"]
    assert "Pull request #" in fix.json["messages"][-1]["content"]
    [comment] = fake_github.review_comments(REPO, pull.number)
    assert comment.path == "calc.py" and "return part / whole * 100" in comment.body
