"""Self-tests of the fake GitHub's App webhook delivery log: cursor pages, filters, redelivery."""

from __future__ import annotations

from datetime import timedelta

import httpx
from githubkit import AppAuthStrategy, GitHub

from tests.fakes.github import FakeGitHub
from tests.fakes.github_helpers import V, status_of


def _app(fake: FakeGitHub) -> GitHub:
    return GitHub(AppAuthStrategy(fake.app_id, fake.private_key), base_url=fake.url)


def test_lists_newest_first_in_cursor_pages(fake_github: FakeGitHub) -> None:
    seeded = [fake_github.add_delivery(status_code=202, age=timedelta(minutes=10 - n))
              for n in range(5)]
    client = _app(fake_github)
    first = client.rest(V).apps.list_webhook_deliveries(per_page=2)
    assert [d.id for d in first.parsed_data] == [seeded[4].id, seeded[3].id]
    link = httpx.Response(200, headers={"link": first.headers["link"]}).links["next"]["url"]
    cursor = httpx.URL(link).params["cursor"]
    second = client.rest(V).apps.list_webhook_deliveries(per_page=2, cursor=cursor)
    assert [d.id for d in second.parsed_data] == [seeded[2].id, seeded[1].id]
    assert "link" in second.headers
    last_cursor = httpx.URL(
        httpx.Response(200, headers={"link": second.headers["link"]}).links["next"]["url"]
    ).params["cursor"]
    last = client.rest(V).apps.list_webhook_deliveries(per_page=2, cursor=last_cursor)
    assert [d.id for d in last.parsed_data] == [seeded[0].id]
    assert "link" not in last.headers


def test_status_filter_uses_githubs_ranges(fake_github: FakeGitHub) -> None:
    ok = fake_github.add_delivery(status_code=302)
    bad = fake_github.add_delivery(status_code=503)
    fake_github.add_delivery(status_code=0)  # neither: GitHub could not connect
    client = _app(fake_github)  # namespaces hold only a weak reference to it
    rest = client.rest(V)
    assert [d.id for d in rest.apps.list_webhook_deliveries(status="success").parsed_data] == [ok.id]
    assert [d.id for d in rest.apps.list_webhook_deliveries(status="failure").parsed_data] == [bad.id]


def test_redelivery_adds_an_attempt_with_the_same_guid(fake_github: FakeGitHub) -> None:
    lost = fake_github.add_delivery(status_code=503, event="issue_comment", action="created")
    fake_github.redelivery_status_code = 202
    client = _app(fake_github)  # namespaces hold only a weak reference to it
    rest = client.rest(V)
    assert rest.apps.redeliver_webhook_delivery(lost.id).status_code == 202
    newest = fake_github.deliveries()[-1]
    assert (newest.guid, newest.redelivery, newest.status_code) == (lost.guid, True, 202)
    assert (newest.event, newest.action) == ("issue_comment", "created")


def test_unknown_delivery_and_invented_cursor_are_refused_loudly(fake_github: FakeGitHub) -> None:
    fake_github.add_delivery(status_code=503)
    client = _app(fake_github)  # namespaces hold only a weak reference to it
    rest = client.rest(V)
    assert status_of(lambda: rest.apps.redeliver_webhook_delivery(1)) == 404
    assert status_of(lambda: rest.apps.list_webhook_deliveries(cursor="v1_7")) == 400
    failures = fake_github.pop_failures()
    assert len(failures) == 2 and "never handed out" in failures[1]


def test_needs_the_app_jwt(fake_github: FakeGitHub) -> None:
    fake_github.add_installation(1, "octo")
    token = fake_github.installation_token(1)
    reply = httpx.get(f"{fake_github.url}/app/hook/deliveries",
                      headers={"Authorization": f"token {token}", "X-GitHub-Api-Version": V})
    assert reply.status_code == 401
    fake_github.pop_failures()
