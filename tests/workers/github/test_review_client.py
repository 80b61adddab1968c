"""The githubkit adapter's review threads and PR commits against the fake GitHub."""

from __future__ import annotations

import pytest

from workers.github.client import GitHubRepoClient
from workers.github.port import GitHubError
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens

REPO = "octo/app"
FAST = CappedRetry(max_retries=3, base_seconds=0.01, max_wait_seconds=5)
PUSH = {"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"}
BASE = "".join(f"line {n}\n" for n in range(1, 31))


@pytest.fixture
def client(fake_github, redis_client) -> GitHubRepoClient:
    fake_github.create_repo(REPO, {"a.py": BASE})
    fake_github.add_installation(9, "octo")
    tokens = InstallationTokens(
        fake_github.app_id, fake_github.private_key, fake_github.url, redis_client, FAST
    )
    return GitHubRepoClient(REPO, tokens.token_for(9, "app", PUSH), fake_github.url, FAST,
                            own_login=tokens.app_login())


@pytest.fixture
def pull(fake_github):
    changed = BASE.replace("line 10\n", "line ten\nline ten and a half\n")
    return fake_github.open_pull(REPO, head="feature", title="Tweak", files={"a.py": changed})


def test_review_and_its_comments(fake_github, client, pull) -> None:
    review = fake_github.add_review(REPO, pull.number, body="Please fix", event="REQUEST_CHANGES",
                                    comments=[{"path": "a.py", "line": 11, "start_line": 9,
                                               "body": "these lines"}])
    got = client.get_review(pull.number, review.id)
    assert (got.id, got.body, got.state, got.author) == (review.id, "Please fix",
                                                         "CHANGES_REQUESTED", "reviewer")
    [comment] = client.list_review_comments(pull.number, review.id)
    assert (comment.path, comment.start_line, comment.line, comment.side) == ("a.py", 9, 11, "RIGHT")
    assert comment.review_id == review.id and comment.in_reply_to_id is None
    assert comment.thread_id == comment.id and not comment.author_is_bot
    assert client.get_review_comment(comment.id) == comment


def test_reply_lands_in_the_thread(fake_github, client, pull) -> None:
    fake_github.add_review(REPO, pull.number, comments=[{"path": "a.py", "line": 10, "body": "x"}])
    [root] = client.list_review_comments(pull.number)
    human = fake_github.reply_to_review_comment(REPO, pull.number, root.id, "/iquest fix")
    asked = client.get_review_comment(human.id)
    assert asked.in_reply_to_id == root.id and asked.thread_id == root.id and asked.line == 10
    reply = client.reply_to_review_comment(pull.number, root.id, "done")
    assert reply.author_is_bot and reply.in_reply_to_id == root.id and reply.html_url
    assert [c.id for c in client.list_review_comments(pull.number)] == [root.id, human.id, reply.id]


def test_missing_review_comment_is_a_plain_404(client, fake_github) -> None:
    with pytest.raises(GitHubError) as error:
        client.get_review_comment(999_999)
    assert error.value.status == 404 and not error.value.transient
    fake_github.pop_failures()


def test_pull_commits_oldest_first(fake_github, client, pull) -> None:
    second = fake_github.commit_files(REPO, "feature", {"b.py": "b\n"}, message="More")
    commits = client.list_pull_commits(pull.number)
    assert [c.message.splitlines()[0] for c in commits] == ["Tweak", "More"]
    assert commits[-1].sha == second and commits[-1].parents == [commits[0].sha]


def test_another_bots_reply_quoting_the_thread_marker_is_not_the_apps(
        fake_github, client, pull) -> None:
    from workers.pipeline.publish.thread import reply_in_thread, thread_marker

    fake_github.add_review(REPO, pull.number, comments=[{"path": "a.py", "line": 10, "body": "x"}])
    [root] = client.list_review_comments(pull.number)
    marker = thread_marker(root.id)
    fake_github.reply_to_review_comment(REPO, pull.number, root.id, f"Noted {marker}",
                                        user="triage-bot[bot]")
    own = reply_in_thread(client, pull.number, root, root.id, f"{marker}\nA suggestion")
    again = reply_in_thread(client, pull.number, root, root.id, f"{marker}\nA suggestion")
    assert own.by_app and own.author == "iquest-autofix[bot]" and again.id == own.id
    replies = [c for c in fake_github.review_comments(REPO, pull.number) if c.id != root.id]
    assert [c.user.login for c in replies] == ["triage-bot[bot]", "iquest-autofix[bot]"]
