"""The githubkit adapter's pull request reads and reviews against the fake GitHub."""

from __future__ import annotations

import pytest

from workers.github.client import GitHubRepoClient
from workers.github.port import GitHubError, ReviewCommentDraft
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens

REPO = "octo/app"
FAST = CappedRetry(max_retries=3, base_seconds=0.01, max_wait_seconds=5)
PUSH = {"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"}
BASE = "".join(f"line {n}\n" for n in range(1, 31))


@pytest.fixture
def client(fake_github, redis_client) -> GitHubRepoClient:
    fake_github.create_repo(REPO, {"a.py": BASE, "b.py": "b = 1\n"})
    fake_github.add_installation(9, "octo")
    tokens = InstallationTokens(
        fake_github.app_id, fake_github.private_key, fake_github.url, redis_client, FAST
    )
    return GitHubRepoClient(REPO, tokens.token_for(9, "app", PUSH), fake_github.url, FAST,
                            own_login=tokens.app_login())


def _open(fake_github):
    changed = BASE.replace("line 10\n", "line ten\nline ten and a half\n")
    return fake_github.open_pull(
        REPO, head="feature", title="Tweak", body="Why", files={"a.py": changed, "c.py": "c\n"}
    )


def test_get_pull_and_its_files(fake_github, client) -> None:
    opened = _open(fake_github)
    pull = client.get_pull(opened.number)
    assert (pull.head_ref, pull.base_ref, pull.title, pull.body) == ("feature", "main", "Tweak", "Why")
    assert pull.head_sha == fake_github.repo(REPO).refs["refs/heads/feature"]
    assert pull.head_repo_full_name == REPO
    files = {f.path: f for f in client.list_pull_files(opened.number)}
    assert files["a.py"].status == "modified" and files["c.py"].status == "added"
    assert "+line ten and a half" in files["a.py"].patch


def test_fork_pull_names_its_head_repository(fake_github, client) -> None:
    fake_github.create_repo("mallory/app", fork_of=REPO)
    opened = fake_github.open_pull(REPO, head="patch", head_repo="mallory/app",
                                   files={"b.py": "b = 2\n"}, user="mallory")
    assert client.get_pull(opened.number).head_repo_full_name == "mallory/app"


def test_review_with_single_and_multi_line_suggestions(fake_github, client) -> None:
    opened = _open(fake_github)
    head = client.get_pull(opened.number).head_sha
    review = client.create_review(
        opened.number,
        head,
        "Root cause: off by one.",
        [
            ReviewCommentDraft("a.py", 11, "```suggestion\nline 10.5\n```"),
            ReviewCommentDraft("a.py", 11, "```suggestion\nx\ny\n```", start_line=9),
        ],
    )
    assert review.id and review.html_url
    [posted] = fake_github.reviews(REPO, opened.number)
    assert posted.state == "COMMENTED" and posted.commit_id == head
    comments = sorted(fake_github.review_comments(REPO, opened.number), key=lambda c: c.id)
    assert [(c.start_line, c.line, c.side) for c in comments] == [(None, 11, "RIGHT"), (9, 11, "RIGHT")]


def test_review_outside_the_diff_is_refused_whole(fake_github, client) -> None:
    opened = _open(fake_github)
    head = client.get_pull(opened.number).head_sha
    with pytest.raises(GitHubError) as error:
        client.create_review(opened.number, head, "b", [ReviewCommentDraft("a.py", 25, "x")])
    assert error.value.status == 422 and not error.value.transient
    assert fake_github.reviews(REPO, opened.number) == []
    fake_github.pop_failures()  # refused on purpose


def test_suggestions_review_is_posted_once_per_request(fake_github, client) -> None:
    from workers.pipeline.proposal import FixProposal
    from workers.pipeline.publish.pull import post_suggestions

    opened = _open(fake_github)
    pull = client.get_pull(opened.number)
    proposal = FixProposal(root_cause="Off by one.", explanation="", tests="", changes={}, diff="")
    draft = [ReviewCommentDraft(path="a.py", line=10, body="```suggestion\nline 10\n```")]
    first = post_suggestions(client, pull, proposal, draft, request_id=501)
    again = post_suggestions(client, pull, proposal, draft, request_id=501)  # a retried job
    assert again.id == first.id
    other = post_suggestions(client, pull, proposal, draft, request_id=502)  # a new request
    assert other.id != first.id
    assert len(fake_github.reviews(REPO, opened.number)) == 2


def test_another_bots_review_quoting_the_marker_is_not_the_apps(fake_github, client) -> None:
    from workers.pipeline.proposal import FixProposal
    from workers.pipeline.publish.pull import post_suggestions, review_marker

    opened = _open(fake_github)
    forged = fake_github.add_review(REPO, opened.number, user="triage-bot[bot]",
                                    body=f"Quoting: {review_marker(opened.number, 501)}")
    pull = client.get_pull(opened.number)
    proposal = FixProposal(root_cause="Off by one.", explanation="", tests="", changes={}, diff="")
    draft = [ReviewCommentDraft(path="a.py", line=10, body="```suggestion\nline 10\n```")]
    own = post_suggestions(client, pull, proposal, draft, request_id=501)
    assert own.id != forged.id
    assert [r.user.login for r in fake_github.reviews(REPO, opened.number)] == [
        "triage-bot[bot]", "iquest-autofix[bot]"]
