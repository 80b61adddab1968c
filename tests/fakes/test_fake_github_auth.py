"""Self-tests of the fake GitHub's auth: the App JWT, minting and scoping tokens, bad tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import jwt
from githubkit import AppAuthStrategy, GitHub

from tests.fakes.github import FakeGitHub
from tests.fakes.github_helpers import HEADERS, REPO, V, installation_client, status_of


def app_client(fake: FakeGitHub, **kwargs) -> GitHub:
    return GitHub(AppAuthStrategy(fake.app_id, fake.private_key), base_url=fake.url, **kwargs)


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

