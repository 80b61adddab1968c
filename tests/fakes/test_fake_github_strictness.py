"""Self-tests of the fake GitHub's strictness: schema violations, routes, version, faults."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from githubkit import GitHub

from tests.fakes.github import API_VERSION, FakeGitHub, Spec
from tests.fakes.github.fixtures import AppKeypair, serve_fake
from tests.fakes.github_helpers import HEADERS, REPO, V, installation_client, status_of

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
