"""Self-tests of the fake GitHub's issues, comments, reactions, labels, pulls, reviews, checks."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from githubkit import GitHub
from githubkit.exception import RequestFailed

from tests.fakes.github import FakeGitHub
from tests.fakes.github_helpers import FILES, HEADERS, REPO, V, status_of

# --- issues, comments, reactions, labels, permissions ---------------------------------------

def test_issue_comments_reactions_and_labels(fake: FakeGitHub, rest: Any) -> None:
    fake.open_issue(REPO, "Session ids collide", "Two logins, one id.", user="alice")
    assert rest.reactions.create_for_issue("octo", "svc", 1, content="eyes").status_code == 201
    assert rest.reactions.create_for_issue("octo", "svc", 1, content="eyes").status_code == 200
    status = rest.issues.create_comment("octo", "svc", 1, body="Working on it").parsed_data
    assert status.performed_via_github_app.id == fake.app_id
    rest.issues.update_comment("octo", "svc", status.id, body="Done")
    assert rest.issues.get_comment("octo", "svc", status.id).parsed_data.body == "Done"
    human = fake.add_issue_comment(REPO, 1, "/iquest fix please", user="alice")
    rest.reactions.create_for_issue_comment("octo", "svc", human.id, content="+1")
    labels = rest.issues.add_labels("octo", "svc", 1, labels=["autofix"]).parsed_data
    assert [label.name for label in labels] == ["autofix"]
    issue = rest.issues.get("octo", "svc", 1).parsed_data
    assert issue.comments == 2 and issue.reactions.eyes == 1 and issue.user.login == "alice"
    rest.issues.update("octo", "svc", 1, state="closed", state_reason="completed")
    assert fake.issue(REPO, 1).state == "closed" and fake.reactions(REPO, 1) == ["eyes"]
    assert [c.body for c in fake.comments(REPO, 1)] == ["Done", "/iquest fix please"]
    assert status_of(lambda: rest.issues.get("octo", "svc", 99)) == 404


def test_labels_accept_every_body_form_github_takes(fake: FakeGitHub, gh: GitHub) -> None:
    fake.open_issue(REPO, "t")
    for body in (["a"], {"labels": [{"name": "b"}]}):
        gh.request("POST", f"/repos/{REPO}/issues/1/labels", json=body, headers=HEADERS)
    assert fake.issue(REPO, 1).labels == ["a", "b"]


def test_collaborator_permission_levels(fake: FakeGitHub, rest: Any) -> None:
    fake.add_collaborator(REPO, "mia", "maintain")
    fake.open_issue(REPO, "x", user="stranger")
    levels = {login: rest.repos.get_collaborator_permission_level("octo", "svc", login).parsed_data
              for login in ("octo", "alice", "mia", "stranger")}
    assert {k: (v.permission, v.role_name) for k, v in levels.items()} == {
        "octo": ("admin", "admin"), "alice": ("write", "write"), "mia": ("write", "maintain"),
        "stranger": ("none", "none")}
    assert status_of(lambda: rest.repos.get_collaborator_permission_level(
        "octo", "svc", "ghost")) == 404


def test_pagination_follows_link_headers(fake: FakeGitHub, gh: GitHub) -> None:
    fake.open_issue(REPO, "busy")
    for n in range(35):
        fake.add_issue_comment(REPO, 1, f"c{n}")
    comments = list(gh.rest.paginate(gh.rest(V).issues.list_comments, owner="octo", repo="svc",
                                     issue_number=1, per_page=20, headers=HEADERS))
    assert [c.body for c in comments] == [f"c{n}" for n in range(35)]
    assert fake.call_count("issues/list-comments") == 2


# --- pull requests and reviews --------------------------------------------------------------

def test_draft_pull_request_from_a_pushed_branch(fake: FakeGitHub, rest: Any) -> None:
    fake.commit_files(REPO, "iquest/issue-1", {"utils.py": FILES["utils.py"].replace(
        "random.choices('abc', k=8)", "secrets.token_hex(16)")}, author="iquest-autofix[bot]")
    pr = rest.pulls.create("octo", "svc", title="Fix #1", head="octo:iquest/issue-1",
                           base="main", body="Fixes #1", draft=True).parsed_data
    assert pr.draft and pr.head.ref == "iquest/issue-1" and pr.user.type == "Bot"
    assert pr.changed_files == 1 and pr.additions == 1 and pr.deletions == 1
    mine = rest.pulls.list("octo", "svc", head="octo:iquest/issue-1").parsed_data
    assert [p.number for p in mine] == [pr.number]
    assert rest.pulls.list("octo", "svc", head="octo:other").parsed_data == []
    assert status_of(lambda: rest.pulls.create("octo", "svc", title="again", base="main",
                                               head="octo:iquest/issue-1")) == 422
    files = rest.pulls.list_files("octo", "svc", pr.number).parsed_data
    assert files[0].filename == "utils.py" and files[0].status == "modified"
    assert "\n+    return ''.join(secrets.token_hex(16))" in files[0].patch
    assert len(rest.pulls.list_commits("octo", "svc", pr.number).parsed_data) == 1
    rest.pulls.update("octo", "svc", pr.number, body="Fixes #1\n\nRoot cause: ...")
    assert fake.issue(REPO, pr.number).body.endswith("Root cause: ...")
    assert rest.issues.get("octo", "svc", pr.number).parsed_data.pull_request is not None


def test_review_with_multi_line_suggestions_and_replies(fake: FakeGitHub, rest: Any) -> None:
    new = FILES["utils.py"].replace("import random\n", "import random\nimport os\n")
    pr = fake.open_pull(REPO, head="feature", files={"utils.py": new}, user="alice")
    suggestion = "```suggestion\nimport secrets\nimport os\n```"
    review = rest.pulls.create_review("octo", "svc", pr.number, event="COMMENT", body="", comments=[
        {"path": "utils.py", "start_line": 21, "line": 22, "side": "RIGHT", "body": suggestion},
        {"path": "utils.py", "line": 19, "body": "context lines take comments too"},
    ]).parsed_data
    assert review.state == "COMMENTED" and review.user.login == "iquest-autofix[bot]"
    comments = rest.pulls.list_comments_for_review("octo", "svc", pr.number, review.id).parsed_data
    assert [c.line for c in comments] == [22, 19] and comments[0].start_line == 21
    assert comments[0].diff_hunk == (
        "@@ -19,6 +19,7 @@\n # line 19\n # line 20\n import random\n+import os")
    thread = fake.add_review(REPO, pr.number, user="alice", comments=[
        {"path": "utils.py", "line": 22, "body": "/iquest fix use secrets"}]).id
    first = fake.review_comments(REPO, pr.number)[-1]
    assert first.review_id == thread
    reply = rest.pulls.create_reply_for_review_comment("octo", "svc", pr.number, first.id,
                                                       body="Pushed abc123").parsed_data
    assert reply.in_reply_to_id == first.id
    assert status_of(lambda: rest.pulls.create_reply_for_review_comment(
        "octo", "svc", pr.number, reply.id, body="nested")) == 422
    rest.reactions.create_for_pull_request_review_comment("octo", "svc", first.id, content="eyes")
    assert [r.content for r in first.reactions] == ["eyes"]
    assert len(rest.pulls.list_review_comments("octo", "svc", pr.number).parsed_data) == 4
    assert len(rest.pulls.list_reviews("octo", "svc", pr.number).parsed_data) == 3


@pytest.mark.parametrize(("comment", "error"), [
    ({"line": 2}, "must be part of the diff"),
    ({"start_line": 2, "line": 22}, "same hunk"),
    ({"start_line": 22, "line": 22}, "precede"),
    ({"path": "auth.py", "line": 1}, "Path could not be resolved"),
])
def test_review_comments_must_land_in_the_diff(fake: FakeGitHub, rest: Any, comment: dict,
                                               error: str) -> None:
    new = FILES["utils.py"].replace("import random\n", "import random\nimport os\n")
    pr = fake.open_pull(REPO, head="feature", files={"utils.py": new})
    with pytest.raises(RequestFailed) as info:
        rest.pulls.create_review("octo", "svc", pr.number, event="COMMENT",
                                 comments=[{"path": "utils.py", "body": "x", **comment}])
    assert info.value.response.status_code == 422 and error in info.value.response.text
    assert fake.reviews(REPO, pr.number) == []


def test_pull_request_from_a_fork(fake: FakeGitHub, rest: Any) -> None:
    fake.create_repo("alice/svc", fork_of=REPO)
    fake.commit_files("alice/svc", "fix", {"auth.py": "x = 2\n"}, author="alice")
    pr = fake.open_pull(REPO, head="fix", head_repo="alice/svc", user="alice")
    got = rest.pulls.get("octo", "svc", pr.number).parsed_data
    assert got.head.repo.full_name == "alice/svc" and got.base.repo.full_name == REPO
    assert got.head.label == "alice:fix"
    fork_file = rest.repos.get_content("octo", "svc", "auth.py", ref=f"pull/{pr.number}/head")
    assert base64.b64decode(fork_file.parsed_data.content) == b"x = 2\n"


# --- check runs -----------------------------------------------------------------------------

def test_check_runs_lifecycle(fake: FakeGitHub, rest: Any) -> None:
    pr = fake.open_pull(REPO, head="fix", files={"auth.py": "x = 1\n"})
    head = fake.repo(REPO).branch("fix")
    ci = fake.add_check_run(REPO, head, "tests", conclusion="failure",
                            output={"title": "1 failed", "summary": "test_ids failed"})
    run = rest.checks.create("octo", "svc", name="iquest", head_sha=head,
                             status="in_progress").parsed_data
    assert run.conclusion is None and run.app.id == fake.app_id
    done = rest.checks.update("octo", "svc", run.id, conclusion="success",
                              output={"title": "ok", "summary": "fixed"}).parsed_data
    assert done.status == "completed" and done.completed_at is not None
    assert [p.number for p in done.pull_requests] == [pr.number]
    listed = rest.checks.list_for_ref("octo", "svc", "fix").parsed_data
    assert {r.name: r.conclusion for r in listed.check_runs} == {"tests": "failure",
                                                                  "iquest": "success"}
    failing = rest.checks.list_for_ref("octo", "svc", head, check_name="tests").parsed_data
    assert failing.check_runs[0].output.title == "1 failed"
    assert status_of(lambda: rest.checks.update("octo", "svc", ci.id, status="queued")) == 403
    assert "updating check run" in fake.pop_failures()[0]

