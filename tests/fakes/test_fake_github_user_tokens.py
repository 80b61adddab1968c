"""Self-tests of the fake GitHub's personal access tokens: identity, role, fine-grained grants."""

from __future__ import annotations

from githubkit import GitHub, TokenAuthStrategy

from tests.fakes.github import FakeGitHub
from tests.fakes.github_helpers import REPO, V, status_of


def token_client(fake: FakeGitHub, token: str) -> GitHub:
    return GitHub(TokenAuthStrategy(token), base_url=fake.url)


def test_a_users_token_acts_as_the_user_with_their_role(fake: FakeGitHub) -> None:
    token = fake.user_token("alice")  # a write collaborator (conftest)
    number = fake.open_issue(REPO, "bug", "text", user="carol").number
    with token_client(fake, token) as gh:
        rest = gh.rest(V)
        assert rest.users.get_authenticated().parsed_data.login == "alice"
        repo = rest.repos.get("octo", "svc").parsed_data
        assert repo.permissions.push is True and repo.permissions.admin is False
        comment = rest.issues.create_comment("octo", "svc", number, body="hi").parsed_data
        assert comment.user.login == "alice" and comment.performed_via_github_app is None
    fake.assert_clean()


def test_a_reader_cannot_write_and_a_stranger_cannot_see(fake: FakeGitHub) -> None:
    fake.add_collaborator(REPO, "rita", "read")
    with token_client(fake, fake.user_token("rita")) as gh:
        rest = gh.rest(V)
        assert rest.repos.get("octo", "svc").parsed_data.permissions.push is False
        assert status_of(lambda: rest.git.create_blob("octo", "svc", content="x")) == 403
    with token_client(fake, fake.user_token("stranger")) as gh:
        assert status_of(lambda: gh.rest(V).repos.get("octo", "svc")) == 404
    failures = fake.pop_failures()
    assert any("rita's token lacks contents:write" in f for f in failures), failures
    assert any("stranger cannot see octo/svc" in f for f in failures), failures


def test_a_fine_grained_token_is_limited_to_its_grant(fake: FakeGitHub) -> None:
    token = fake.user_token("alice", {"contents": "read"})
    with token_client(fake, token) as gh:
        rest = gh.rest(V)
        assert rest.repos.get_content("octo", "svc", "auth.py").status_code == 200
        assert status_of(lambda: rest.git.create_blob("octo", "svc", content="x")) == 403
    assert len(fake.pop_failures()) == 1


def test_an_installation_token_has_no_user(fake: FakeGitHub) -> None:
    with token_client(fake, fake.installation_token(1)) as gh:
        rest = gh.rest(V)
        assert status_of(lambda: rest.users.get_authenticated()) == 403
        # GitHub does not tell an installation token its permissions on the repository.
        assert not rest.repos.get("octo", "svc").parsed_data.permissions
    fake.assert_clean()
