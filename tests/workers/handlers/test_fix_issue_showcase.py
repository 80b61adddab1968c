"""The showcase: labelling the session-id issue `autofix` yields a draft PR with the fix and a test.
"""

from __future__ import annotations

import subprocess
import sys

from tests.fakes.github import pulldiff
from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook
from tests.support.worker import wait_until
from tests.workers.handlers.showcase_repo import (
    REPO,
    SHOWCASE,
    labeled,
    repo_files,
    status_comment,
)


def test_labelled_issue_becomes_a_draft_pr_with_fix_and_test(
    fake_github, model_server, showcase, receiver, worker, tmp_path
) -> None:
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "Opened draft pull request" in status_comment(fake_github, showcase.number),
               timeout=60, what="the draft PR")

    [pull] = fake_github.pulls(REPO)
    branch = f"iquest/issue-{showcase.number}"
    assert pull.draft
    assert pull.head_ref == branch
    description = fake_github.issue(REPO, pull.number).body
    assert f"Fixes #{showcase.number}" in description
    assert "random" in description  # the root cause is in the description
    repo = fake_github.repo(REPO)
    utils = repo.read_file(branch, "utils.py")
    assert "import secrets" in utils and "random" not in utils
    assert "save_new" in repo.read_file(branch, "session_store.py")
    assert "_MAX_ATTEMPTS" in repo.read_file(branch, "auth.py")
    assert "test_session_ids_are_unique" in repo.read_file(branch, "tests/test_auth.py")
    # The default branch is untouched.
    assert "random.choices" in repo.read_file("main", "utils.py")
    assert fake_github.reactions(REPO, showcase.number) == ["eyes"]
    assert f"#{pull.number}" in status_comment(fake_github, showcase.number)

    # The `iquest` check run on the pushed commit, annotated on exactly the lines the pull
    # request adds (as the fake GitHub's own diff of the PR counts them).
    [run] = repo.check_runs.values()
    assert (run.name, run.head_sha, run.status) == ("iquest", pull.head_sha(), "completed")
    assert "random" in run.output["summary"] and f"#{pull.number}" in run.output["summary"]
    annotated = {(note["path"], line) for note in run.output["annotations"]
                 for line in range(note["start_line"], note["end_line"] + 1)}
    added = {(diff.path, new) for diff in pulldiff.files(repo, pull)
             for hunk in diff.hunks for prefix, _old, new, _text in hunk.lines if prefix == "+"}
    assert annotated == added

    # The branch's tests pass: the fix works and the new test checks uniqueness.
    checkout = tmp_path / "checkout"
    for path in repo_files():
        target = checkout / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(repo.read_file(branch, path))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=checkout, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout

    # What the model saw: the code with line numbers, and the issue fenced as data.
    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert "utils.py" in prompt and "random.choices" in prompt
    assert "<issue>" in prompt and "Concurrent logins" in prompt
    assert request.json["temperature"] == 0.6 and request.json["top_k"] == 20


def test_rerun_updates_the_same_branch_and_pr(
    fake_github, model_server, showcase, receiver, worker
) -> None:
    reply = ChatReply((SHOWCASE / "model_response.md").read_text())
    model_server.script(reply, reply)
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: fake_github.pulls(REPO), timeout=60, what="the first PR")
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: len(model_server.chat_requests()) == 2, timeout=60, what="the second run")
    wait_until(lambda: "Opened draft" in status_comment(fake_github, showcase.number) and
               fake_github.call_count("PATCH /repos/{owner}/{repo}/pulls/{pull_number}") == 1,
               timeout=60, what="the PR update")
    assert len(fake_github.pulls(REPO)) == 1
    bots = [c for c in fake_github.comments(REPO, showcase.number) if c.user.type == "Bot"]
    assert len(bots) == 1


def test_unusable_model_answer_is_reported_not_published(
    fake_github, model_server, showcase, receiver, worker
) -> None:
    bad = ChatReply("## Root cause\nIt is broken.\n\nutils.py\n```python\n<<<<<<< SEARCH\n"
                    "def no_such_function():\n=======\ndef x():\n>>>>>>> REPLACE\n```\n")
    model_server.script(bad, bad)  # the first answer and the one repair round
    assert post_webhook(receiver.url, "issues", labeled(showcase.number)).status_code == 202
    wait_until(lambda: "No pull request" in status_comment(fake_github, showcase.number),
               timeout=60, what="the refusal")
    assert fake_github.pulls(REPO) == []
    assert "iquest/issue-1" not in str(fake_github.refs(REPO))
    # The repair round showed the model why its edit failed.
    repair = model_server.chat_requests()[1].json["messages"][-1]["content"]
    assert "no_such_function" in repair

