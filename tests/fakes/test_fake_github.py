"""Self-tests of the fake GitHub, driven through githubkit as production drives it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import shutil
import subprocess
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub
from githubkit.exception import GitHubException, RequestFailed

from tests.fakes.github import API_VERSION, FakeGitHub, Spec
from tests.fakes.github.fixtures import AppKeypair, serve_fake

V = "2022-11-28"
HEADERS = {"X-GitHub-Api-Version": V}
REPO = "octo/svc"
FILES = {
    "auth.py": "from utils import generate_session_id\n\n\ndef login(user):\n"
               "    return generate_session_id()\n",
    "session_store.py": "SESSIONS = {}\n",
    "utils.py": "".join(f"# line {n}\n" for n in range(1, 21))
                + "import random\n\n\ndef generate_session_id():\n"
                  "    return ''.join(random.choices('abc', k=8))\n",
}


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def app_client(fake: FakeGitHub, **kwargs) -> GitHub:
    return GitHub(AppAuthStrategy(fake.app_id, fake.private_key), base_url=fake.url, **kwargs)


def installation_client(fake: FakeGitHub, installation_id: int = 1, *, auto_retry: bool = True,
                        **scope) -> GitHub:
    strategy = AppInstallationAuthStrategy(fake.app_id, fake.private_key, installation_id, **scope)
    return GitHub(strategy, base_url=fake.url, auto_retry=auto_retry)


def status_of(call: Callable[[], object]) -> int:
    """The status of the error a githubkit call raises (token errors come wrapped)."""
    with pytest.raises(GitHubException) as info:
        call()
    exc: BaseException | None = info.value
    while exc is not None and not isinstance(exc, RequestFailed):
        exc = exc.__cause__
    assert exc is not None, info.value
    return exc.response.status_code


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_installation(1, "octo")
    fake_github.create_repo(REPO, FILES)
    fake_github.add_collaborator(REPO, "alice", "write")
    return fake_github


@pytest.fixture
def gh(fake: FakeGitHub) -> Iterator[GitHub]:
    # Inside `with`, githubkit reuses one httpx client instead of building one (and an SSL
    # context, ~20 ms) per call.
    with installation_client(fake) as client:
        yield client


@pytest.fixture
def rest(gh: GitHub) -> Any:
    return gh.rest(V)


# --- auth -----------------------------------------------------------------------------------

def test_app_jwt_mints_an_hour_long_installation_token(fake: FakeGitHub) -> None:
    client = app_client(fake)  # githubkit namespaces hold only a weak reference to it
    app = client.rest(V)
    assert app.apps.get_authenticated().parsed_data.id == fake.app_id
    assert app.apps.get_repo_installation("octo", "svc").parsed_data.id == 1
    token = app.apps.create_installation_access_token(1).parsed_data
    assert token.token.startswith("ghs_")
    ahead = datetime.strptime(token.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 3590 < (ahead - datetime.now(UTC)).total_seconds() <= 3600
    assert fake.call_count("apps/create-installation-access-token") == 1


def test_token_scope_limits_repositories_and_permissions(fake: FakeGitHub) -> None:
    fake.create_repo("octo/other", {"a.txt": "a\n"})
    gh = installation_client(fake, repositories=["svc"], permissions={"contents": "read"})
    rest = gh.rest(V)
    assert rest.repos.get_content("octo", "svc", "auth.py").status_code == 200
    assert status_of(lambda: rest.repos.get("octo", "other")) == 404
    assert status_of(lambda: rest.git.create_blob("octo", "svc", content="x")) == 403
    assert status_of(lambda: rest.issues.get("octo", "svc", 1)) == 403
    failures = fake.pop_failures()
    assert "outside its scope" in failures[0] and "contents:write" in failures[1]
    other = fake.repo("octo/other").id
    by_id = installation_client(fake, repository_ids=[other])
    assert by_id.rest(V).repos.get("octo", "other").status_code == 200


def test_permission_the_installation_lacks_is_refused(fake: FakeGitHub) -> None:
    fake.add_installation(2, "reader", permissions={"contents": "read", "metadata": "read"})
    gh = installation_client(fake, 2, permissions={"contents": "write"})
    assert status_of(lambda: gh.rest(V).repos.get("reader", "x")) == 422
    assert "not granted" in fake.pop_failures()[0]


def app_jwt(fake: FakeGitHub, iss: int) -> str:
    now = int(time.time())
    return jwt.encode({"iss": str(iss), "iat": now - 60, "exp": now + 540}, fake.private_key,
                      algorithm="RS256")


def test_bad_missing_and_wrong_kind_of_token_get_401(fake: FakeGitHub) -> None:
    url = f"{fake.url}/repos/{REPO}"
    for auth in (None, "token ghs_nope", f"Bearer {app_jwt(fake, fake.app_id)}"):
        headers = {**HEADERS, **({"Authorization": auth} if auth else {})}
        assert httpx.get(url, headers=headers).status_code == 401
    wrong_app = {**HEADERS, "Authorization": f"Bearer {app_jwt(fake, fake.app_id + 1)}"}
    assert httpx.get(f"{fake.url}/app", headers=wrong_app).status_code == 401
    assert httpx.get(f"{fake.url}/app", headers=HEADERS).status_code == 401
    failures = fake.pop_failures()
    assert len(failures) == 5 and "no installation token" in failures[0]
    assert "App JWT" in failures[2] and "iss" in failures[3] and "Bearer" in failures[4]


# --- contents, tarball, git database --------------------------------------------------------

def test_reads_files_and_directories_at_a_ref(fake: FakeGitHub, rest: Any) -> None:
    fake.commit_files(REPO, "feature", {"pkg/mod.py": "X = 2\n"}, message="add pkg")
    f = rest.repos.get_content("octo", "svc", "utils.py").parsed_data
    data = base64.b64decode(f.content)
    assert data.decode() == FILES["utils.py"] and f.sha == blob_sha(data)
    root = rest.repos.get_content("octo", "svc", "", ref="feature").parsed_data
    assert sorted(i.name for i in root) == ["auth.py", "pkg", "session_store.py", "utils.py"]
    assert {i.name: i.type for i in root}["pkg"] == "dir"
    assert status_of(lambda: rest.repos.get_content("octo", "svc", "pkg/mod.py")) == 404
    raw = rest.repos.get_content("octo", "svc", "pkg/mod.py", ref="feature",
                                 headers={"Accept": "application/vnd.github.raw+json"})
    assert raw.content == b"X = 2\n"
    assert fake.repo(REPO).read_file("feature", "pkg/mod.py") == "X = 2\n"


def test_tarball_redirects_to_a_codeload_gzip(fake: FakeGitHub, rest: Any) -> None:
    head = fake.repo(REPO).branch("main")
    resp = rest.repos.download_tarball_archive("octo", "svc", "main")
    with tarfile.open(fileobj=io.BytesIO(resp.content), mode="r:gz") as tar:
        assert tar.pax_headers["comment"] == head
        top = f"octo-svc-{head[:7]}"
        assert tar.extractfile(f"{top}/auth.py").read().decode() == FILES["auth.py"]
        assert {m.name.split("/")[0] for m in tar.getmembers()} == {top}
    assert fake.calls()[-1].path.startswith("/_codeload/octo/svc/legacy.tar.gz/main")


def test_commit_through_the_git_database(fake: FakeGitHub, rest: Any) -> None:
    main = rest.git.get_ref("octo", "svc", "heads/main").parsed_data.object_.sha
    base_tree = rest.git.get_commit("octo", "svc", main).parsed_data.tree.sha
    new = b"import secrets\n"
    blob = rest.git.create_blob("octo", "svc", content=base64.b64encode(new).decode(),
                                encoding="base64").parsed_data
    assert blob.sha == blob_sha(new)
    assert base64.b64decode(rest.git.get_blob("octo", "svc", blob.sha).parsed_data.content) == new
    tree = rest.git.create_tree("octo", "svc", base_tree=base_tree, tree=[
        {"path": "utils.py", "mode": "100644", "type": "blob", "sha": blob.sha},
        {"path": "tests/test_ids.py", "mode": "100644", "type": "blob", "content": "ok\n"},
        {"path": "session_store.py", "mode": "100644", "type": "blob", "sha": None},
    ]).parsed_data
    commit = rest.git.create_commit("octo", "svc", message="Use secrets", tree=tree.sha,
                                    parents=[main]).parsed_data
    assert commit.author.name == "iquest-autofix[bot]"
    rest.git.create_ref("octo", "svc", ref="refs/heads/iquest/issue-1", sha=commit.sha)
    assert status_of(lambda: rest.git.create_ref("octo", "svc", ref="refs/heads/iquest/issue-1",
                                                 sha=commit.sha)) == 422
    got = rest.repos.get_content("octo", "svc", "utils.py", ref="iquest/issue-1").parsed_data
    assert got.sha == blob.sha and base64.b64decode(got.content) == new
    listing = rest.git.get_tree("octo", "svc", commit.sha, recursive="1").parsed_data
    assert {i.path for i in listing.tree} == {"auth.py", "utils.py", "tests", "tests/test_ids.py"}
    refs = rest.git.list_matching_refs("octo", "svc", "heads/iquest/").parsed_data
    assert [r.ref for r in refs] == ["refs/heads/iquest/issue-1"]
    assert_git_agrees(fake, commit.sha)


def assert_git_agrees(fake: FakeGitHub, head: str) -> None:
    """Real git reads every object the fake stored, under the same ids, and fsck passes."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["git", "init", "-q", "--bare", tmp], check=True)
        for sha, (kind, data) in fake.repo(REPO).git.objects.items():
            path = Path(tmp, "objects", sha[:2], sha[2:])
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(zlib.compress(f"{kind} {len(data)}\0".encode() + data))
        subprocess.run(["git", "-C", tmp, "fsck", "--strict", "--no-dangling"], check=True,
                       capture_output=True)
        out = subprocess.run(["git", "-C", tmp, "show", f"{head}:tests/test_ids.py"],
                             check=True, capture_output=True, text=True).stdout
        assert out == "ok\n"


def test_ref_update_needs_force_unless_fast_forward(fake: FakeGitHub, rest: Any) -> None:
    main = fake.repo(REPO).branch("main")
    side = fake.commit_files(REPO, "side", {"x.txt": "x\n"})
    rest.git.update_ref("octo", "svc", "heads/main", sha=side)  # fast-forward
    assert status_of(lambda: rest.git.update_ref("octo", "svc", "heads/main", sha=main)) == 422
    rest.git.update_ref("octo", "svc", "heads/main", sha=main, force=True)
    assert fake.refs(REPO)["refs/heads/main"] == main


def test_seeded_repositories_have_stable_ids(fake: FakeGitHub, openapi_spec: Spec) -> None:
    other = FakeGitHub(openapi_spec, public_key="unused")
    try:
        assert other.create_repo(REPO, FILES).refs == fake.repo(REPO).refs
    finally:
        other.stop()


def test_branch_and_commit_with_files(fake: FakeGitHub, rest: Any) -> None:
    sha = fake.commit_files(REPO, "main", {"auth.py": "x = 1\n"}, message="shrink")
    assert rest.repos.get_branch("octo", "svc", "main").parsed_data.commit.sha == sha
    commit = rest.repos.get_commit("octo", "svc", "main").parsed_data
    assert commit.commit.message == "shrink" and commit.files[0].filename == "auth.py"
    assert commit.files[0].patch.startswith("@@ -1,5 +1 @@\n-from utils")
    assert status_of(lambda: rest.repos.get_branch("octo", "svc", "nope")) == 404


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


# --- strictness -----------------------------------------------------------------------------

def test_request_body_github_would_reject_is_a_422_and_a_failure(fake: FakeGitHub,
                                                                  gh: GitHub) -> None:
    # githubkit checks bodies client-side too, so send them raw to prove the server checks.
    fake.open_issue(REPO, "t")
    for path, body in ((f"/repos/{REPO}/issues/1/comments", {"bdy": "typo"}),
                       (f"/repos/{REPO}/git/trees", {"tree": [{"path": "a", "mode": "999"}]}),
                       (f"/repos/{REPO}/check-runs", {"name": "x", "head_sha": "a" * 40,
                                                      "status": "completed"})):
        assert status_of(lambda p=path, b=body: gh.request("POST", p, json=b,
                                                           headers=HEADERS)) == 422
    with pytest.raises(AssertionError, match="does not match GitHub's schema") as info:
        fake.assert_clean()
    assert "'body' is a required property" in str(info.value) and "'999'" in str(info.value)
    assert len(fake.pop_failures()) == 3 and fake.comments(REPO, 1) == []


def test_the_fixture_raises_what_a_test_left_behind(openapi_spec: Spec,
                                                    app_keypair: AppKeypair) -> None:
    # fake_github is `with serve_fake(...) as fake: yield fake`; its exit is the teardown.
    with pytest.raises(AssertionError, match="GitHub has no such route"), \
            serve_fake(openapi_spec, app_keypair) as fake:
        assert httpx.get(fake.url + "/nonsense").status_code == 404


def test_assert_clean_lists_every_problem(fake: FakeGitHub) -> None:
    token = fake.installation_token(1)
    auth = {"Authorization": f"token {token}"}
    assert httpx.post(f"{fake.url}/repos/{REPO}/git/blobs", content=b"{oops",
                      headers={**HEADERS, **auth}).status_code == 400
    assert httpx.get(f"{fake.url}/repos/{REPO}", headers=auth).status_code == 200
    assert httpx.get(f"{fake.url}/repos/{REPO}",
                     headers={**auth, "X-GitHub-Api-Version": "2026-03-10"}).status_code == 400
    assert httpx.get(f"{fake.url}/repos/{REPO}/issues/abc", headers={**HEADERS, **auth}
                     ).status_code == 404
    assert httpx.get(f"{fake.url}/repos/{REPO}/hooks", headers={**HEADERS, **auth}
                     ).status_code == 404
    assert httpx.get(f"{fake.url}/nonsense", headers=HEADERS).status_code == 404
    with pytest.raises(AssertionError) as info:
        fake.assert_clean()
    report = str(info.value)
    for expected in ("request body is not JSON", "no X-GitHub-Api-Version header",
                     "'2026-03-10'", "issue_number='abc'",
                     "repos/list-webhooks", "GitHub has no such route"):
        assert expected in report
    assert len(fake.pop_failures()) == 6


def test_invalid_responses_are_fake_bugs(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.open_issue(REPO, "t", labels=["bug"])
    monkeypatch.setattr(fake.shapes, "label", lambda repo, name: {"name": name})
    gh = installation_client(fake, auto_retry=False)  # a 500 would be retried for 14 s
    assert status_of(lambda: gh.rest(V).issues.list_labels_on_issue("octo", "svc", 1)) == 500
    assert "FAKE BUG" in fake.pop_failures()[0]


def test_concurrent_clients_are_served(fake: FakeGitHub) -> None:
    fake.open_issue(REPO, "busy")
    token = fake.installation_token(1)
    headers = {**HEADERS, "Authorization": f"token {token}"}

    def post(n: int) -> int:
        return httpx.post(f"{fake.url}/repos/{REPO}/issues/1/comments", json={"body": str(n)},
                          headers=headers).json()["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(16)))
    assert len(set(ids)) == 16 and len(fake.comments(REPO, 1)) == 16


def test_async_client_is_served_too(fake: FakeGitHub, gh: GitHub) -> None:
    async def read() -> str:
        return (await gh.rest(V).repos.async_get("octo", "svc")).parsed_data.full_name

    assert asyncio.run(read()) == REPO


# --- fault injection and call counts --------------------------------------------------------

def test_server_error_then_success_with_githubkit_retry(fake: FakeGitHub, rest: Any) -> None:
    fake.fail_next("repos/get", status=502)
    assert rest.repos.get("octo", "svc").parsed_data.name == "svc"
    assert [c.status for c in fake.calls("repos/get")] == [502, 200]
    assert fake.calls("repos/get")[0].fault == "server_error"


def test_secondary_rate_limit_retry_after_is_honoured(fake: FakeGitHub, rest: Any) -> None:
    fake.secondary_rate_limit("issues/get", retry_after=1, status=429)
    fake.open_issue(REPO, "t")
    started = time.monotonic()
    assert rest.issues.get("octo", "svc", 1).parsed_data.number == 1
    assert time.monotonic() - started >= 1.0
    assert fake.call_count("GET /repos/{owner}/{repo}/issues/{issue_number}") == 2


def test_primary_rate_limit_waits_for_reset(fake: FakeGitHub, rest: Any) -> None:
    # route=None would hit the token mint first, which githubkit's auth flow never retries.
    fake.primary_rate_limit("repos/get", reset_in=1)
    assert rest.repos.get("octo", "svc").status_code == 200
    assert [(c.status, c.fault) for c in fake.calls("repos/get")] == [
        (403, "primary_rate_limit"), (200, None)]


def test_injected_validation_failure_and_unused_faults(fake: FakeGitHub, rest: Any) -> None:
    fake.open_issue(REPO, "t")
    fake.validation_failure("issues/create-comment", message="Body is too long")
    assert status_of(lambda: rest.issues.create_comment("octo", "svc", 1, body="x")) == 422
    assert fake.comments(REPO, 1) == []
    fake.fail_next("pulls/create", times=2)
    with pytest.raises(AssertionError, match="never triggered: server_error on pulls/create"):
        fake.assert_clean()
    fake.faults.faults.clear()
    with pytest.raises(KeyError):
        fake.fail_next("pulls/creat")


def test_call_counts_and_request_log(fake: FakeGitHub, rest: Any) -> None:
    fake.open_issue(REPO, "t")
    rest.issues.get("octo", "svc", 1)
    rest.issues.create_comment("octo", "svc", 1, body="hello")
    counts = fake.call_counts()
    assert counts["issues/get"] == 1 and counts["issues/create-comment"] == 1
    assert counts["apps/create-installation-access-token"] == 1  # cached by githubkit after
    assert fake.calls("issues/create-comment")[0].body == {"body": "hello"}
    assert fake.calls()[-1].headers["x-github-api-version"] == API_VERSION
