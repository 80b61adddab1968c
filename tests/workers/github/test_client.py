"""The githubkit adapter against the fake GitHub: scoped cached tokens, retries, errors, git data."""

from __future__ import annotations

import time

import pytest

from workers.github.client import GitHubRepoClient
from workers.github.comments import RememberedComments, last_page
from workers.github.port import GitHubError, Permission, ReactionTarget
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens
from workers.pipeline.context.snapshot import SnapshotCache

REPO = "octo/app"
READ_ISSUES = {"contents": "read", "issues": "write", "metadata": "read"}
FAST = CappedRetry(max_retries=3, base_seconds=0.01, max_wait_seconds=5)


@pytest.fixture
def tokens(fake_github, redis_client) -> InstallationTokens:
    fake_github.create_repo(REPO, {"a.py": "x = 1\n", "pkg/b.py": "y = 2\n"})
    fake_github.create_repo("octo/other", {"c.py": "z\n"})
    fake_github.add_installation(9, "octo")
    return InstallationTokens(
        fake_github.app_id, fake_github.private_key, fake_github.url, redis_client, FAST
    )


def _client(
    fake_github, tokens, permissions=READ_ISSUES, repo=REPO, remembered=None
) -> GitHubRepoClient:
    token = tokens.token_for(9, repo.split("/")[1], permissions)
    return GitHubRepoClient(repo, token, fake_github.url, FAST, remembered=remembered,
                            own_login=tokens.app_login())


def test_token_is_minted_once_and_cached_in_redis(fake_github, tokens, redis_client) -> None:
    first = tokens.token_for(9, "app", READ_ISSUES)
    second = tokens.token_for(9, "app", READ_ISSUES)
    assert first == second
    assert fake_github.call_count("apps/create-installation-access-token") == 1
    [key] = redis_client.keys("iquest:token:9:*")
    # Cached until shortly before GitHub's one-hour expiry, never past it.
    assert 0 < redis_client.ttl(key) <= 3600 - 600
    # Another scope is another token.
    tokens.token_for(9, "app", {"contents": "write", "metadata": "read"})
    assert fake_github.call_count("apps/create-installation-access-token") == 2


def test_token_is_scoped_to_one_repository(fake_github, tokens) -> None:
    client = _client(fake_github, tokens)
    assert client.read_file("a.py") == "x = 1\n"
    token = tokens.token_for(9, "app", READ_ISSUES)
    elsewhere = GitHubRepoClient("octo/other", token, fake_github.url, FAST)
    with pytest.raises(GitHubError) as error:
        elsewhere.get_repository()
    assert error.value.status == 404 and not error.value.transient
    fake_github.pop_failures()  # the fake records the out-of-scope call, as intended here


def test_server_errors_are_retried_with_backoff(fake_github, tokens) -> None:
    client = _client(fake_github, tokens)
    fake_github.fail_next("repos/get", times=2, status=502)
    assert client.get_repository().default_branch == "main"
    assert fake_github.call_count("repos/get") == 3


def test_secondary_rate_limit_waits_for_retry_after(fake_github, tokens) -> None:
    client = _client(fake_github, tokens)
    fake_github.secondary_rate_limit("issues/get", retry_after=1)
    issue = fake_github.open_issue(REPO, "t", "b")
    started = time.monotonic()
    assert client.get_issue(issue.number).title == "t"
    assert time.monotonic() - started >= 0.9


def test_long_rate_limit_waits_are_left_to_the_task(fake_github, tokens) -> None:
    patient = CappedRetry(max_retries=3, base_seconds=0.01, max_wait_seconds=0.5)
    token = tokens.token_for(9, "app", READ_ISSUES)
    client = GitHubRepoClient(REPO, token, fake_github.url, patient)
    fake_github.secondary_rate_limit("repos/get", retry_after=30)
    with pytest.raises(GitHubError) as error:
        client.get_repository()
    assert error.value.transient  # the Celery task retries later instead of sleeping 30 s
    assert fake_github.call_count("repos/get") == 1


def test_validation_failure_is_permanent(fake_github, tokens) -> None:
    client = _client(fake_github, tokens)
    issue = fake_github.open_issue(REPO, "t", "b")
    fake_github.validation_failure("issues/create-comment")
    with pytest.raises(GitHubError) as error:
        client.create_issue_comment(issue.number, "hello")
    assert error.value.status == 422 and not error.value.transient


def test_permission_reactions_and_comments(fake_github, tokens) -> None:
    fake_github.add_collaborator(REPO, "alice", "maintain")
    client = _client(fake_github, tokens)
    assert client.get_permission("alice") is Permission.MAINTAIN
    assert client.get_permission("stranger") is Permission.NONE
    issue = fake_github.open_issue(REPO, "t", "b")
    client.add_reaction(ReactionTarget.ISSUE, issue.number, "eyes")
    client.add_reaction(ReactionTarget.ISSUE, issue.number, "eyes")  # idempotent on GitHub
    assert fake_github.reactions(REPO, issue.number) == ["eyes"]
    posted = client.create_issue_comment(issue.number, "first")
    client.update_issue_comment(posted.id, "edited")
    [comment] = client.list_issue_comments(issue.number)
    assert comment.body == "edited" and comment.author_is_bot and comment.by_app


def test_the_app_knows_its_own_login_and_edits_no_other_bots_comment(
        fake_github, tokens, redis_client) -> None:
    from workers.github.comments import RememberedComments
    from workers.github.port import GitHubError

    assert tokens.app_login() == "iquest-autofix[bot]"
    assert tokens.app_login() == "iquest-autofix[bot]"  # read once per process
    assert [c.operation_id for c in fake_github.log].count("apps/get-authenticated") == 1
    issue = fake_github.open_issue(REPO, "t", "b")
    marker = "<!-- iquest:status number=1 -->"
    forged = fake_github.add_issue_comment(REPO, issue.number, f"Welcome! {marker}",
                                           via_app=fake_github.add_app(99001, "welcome-bot"))
    client = _client(fake_github, tokens, remembered=RememberedComments(redis_client, 60))
    [seen] = client.list_issue_comments(issue.number)
    assert seen.author_is_bot and not seen.by_app
    with pytest.raises(GitHubError, match="not this app's"):
        client.update_issue_comment(seen.id, "taken over")
    own = client.upsert_marked_comment(issue.number, marker, f"{marker}\nQueued")
    assert own.id != forged.id and own.by_app
    assert fake_github.comments(REPO, issue.number)[0].body == f"Welcome! {marker}"


def test_comments_are_read_across_pages(fake_github, tokens) -> None:
    client = _client(fake_github, tokens)
    issue = fake_github.open_issue(REPO, "t", "b")
    for index in range(105):
        fake_github.add_issue_comment(REPO, issue.number, f"c{index}")
    # One call for the newest comments, however long the thread (here 52 of 105, the most
    # one page can hold at the end of this thread), and none when asked again.
    newest = client.list_issue_comments(issue.number)
    assert [c.body for c in newest] == [f"c{index}" for index in range(53, 105)]
    assert client.list_issue_comments(issue.number) == newest
    assert fake_github.call_count("issues/list-comments") == 1
    assert fake_github.call_count("issues/get") == 1


def test_the_newest_page_holds_at_least_fifty_comments() -> None:
    assert last_page(3) == (100, 1) and last_page(100) == (100, 1)
    assert last_page(400) == (100, 4)
    for total in range(101, 3000):
        per_page, page = last_page(total)
        assert 50 <= per_page <= 100 and (page - 1) * per_page < total <= page * per_page
        assert total - (page - 1) * per_page >= 50


def test_a_marked_comment_is_remembered_and_found_again_when_deleted(
    fake_github, tokens, redis_client
) -> None:
    issue = fake_github.open_issue(REPO, "t", "b")
    remembered = RememberedComments(redis_client, 60)
    marker = "<!-- iquest:status number=1 -->"
    first = _client(fake_github, tokens, remembered=remembered)
    created = first.upsert_marked_comment(issue.number, marker, f"{marker}\none")
    assert fake_github.call_count("issues/list-comments") == 0  # a thread without comments
    # A later job edits the remembered comment without reading the thread.
    second = _client(fake_github, tokens, remembered=remembered)
    edited = second.upsert_marked_comment(issue.number, marker, f"{marker}\ntwo")
    assert edited.id == created.id and fake_github.call_count("issues/get") == 1
    assert fake_github.comments(REPO, issue.number)[0].body.endswith("two")
    # Someone deletes it: the edit's 404 sends the next job looking, and it posts a new one.
    fake_github.issue(REPO, issue.number).comments.clear()
    third = _client(fake_github, tokens, remembered=remembered)
    again = third.upsert_marked_comment(issue.number, marker, f"{marker}\nthree")
    assert again.id != created.id
    assert [c.body for c in fake_github.comments(REPO, issue.number)] == [f"{marker}\nthree"]
    assert remembered.get(REPO, issue.number, marker) == again.id


def test_commit_branch_and_draft_pull(fake_github, tokens) -> None:
    push = {"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"}
    client = _client(fake_github, tokens, permissions=push)
    base = client.get_branch_sha("main")
    tree = client.create_tree(
        client.get_commit(base).tree_sha,
        {"a.py": "x = 2\n", "pkg/b.py": None, "run.sh": "#!/bin/sh\n"},
        executable=frozenset({"run.sh"}),
    )
    commit = client.create_commit("Fix\n\nGenerated-by: iquest-autofix\n", tree, [base])
    client.create_branch("iquest/issue-1", commit)
    assert client.get_branch_sha("iquest/issue-1") == commit
    assert client.get_branch_sha("nope") is None
    # One call gives the head, its tree and message (a slash in the name included).
    head = client.get_branch("iquest/issue-1")
    assert (head.sha, head.tree_sha, head.parents) == (commit, tree, [base])
    assert "Generated-by: iquest-autofix" in head.message
    assert client.get_branch("nope") is None
    repo = fake_github.repo(REPO)
    assert repo.read_file("iquest/issue-1", "a.py") == "x = 2\n"
    assert repo.read_file("iquest/issue-1", "pkg/b.py") is None
    pull = client.create_pull("Fix #1", "Fixes #1", "iquest/issue-1", "main", draft=True)
    assert pull.draft and client.find_open_pull("iquest/issue-1").number == pull.number
    assert client.find_open_pull("other-branch") is None
    assert client.update_pull(pull.number, "Fix #1 again", "body").title == "Fix #1 again"


def test_snapshot_comes_from_one_tarball_per_commit(fake_github, tokens, tmp_path) -> None:
    client = _client(fake_github, tokens)
    head = client.get_branch_sha("main")
    cache = SnapshotCache(tmp_path, lambda owner, repo, sha: client.download_tarball(sha))
    snapshot = cache.get("octo", "app", head)
    assert (snapshot.root / "pkg" / "b.py").read_text() == "y = 2\n"
    cache.get("octo", "app", head)
    assert fake_github.call_count("repos/download-tarball-archive") == 1


def test_github_out_of_reach_is_a_transient_error_not_a_crash() -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    client = GitHubRepoClient(REPO, "ghs_unused", closed, FAST)
    try:
        with pytest.raises(GitHubError) as error:
            client.list_issue_comments(1)
        assert error.value.transient and error.value.status is None
        assert "could not reach GitHub" in str(error.value)
    finally:
        client.close()
