"""The manifest flow over HTTP against the fake GitHub: state, exchange, saved files, refusals."""

from __future__ import annotations

import io
import logging
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from service.manifest import ManifestError, github_web_url, load_manifest
from tests.fakes.github import FakeGitHub
from tests.service.setup_support import files_in, open_form, setup_receiver, submit
from tests.support.webhooks import TEST_SETUP_TOKEN, load_payload, post_webhook

if TYPE_CHECKING:
    from tests.support.redis_server import TestRedis


@pytest.fixture
def redacting_log() -> Iterator[io.StringIO]:
    """The root logger's handler as `iquest serve` installs it (redacting), into a buffer."""
    from workers.cli.logs import build_log_handler
    from workers.config import Settings

    stream = io.StringIO()
    handler = build_log_handler(Settings(_env_file=None), stream)
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _callback(redirect: httpx.Response) -> httpx.Response:
    assert redirect.status_code == 302, redirect.text
    return httpx.get(redirect.headers["location"])


def test_org_registration_saves_credentials_and_the_receiver_uses_them(
        fake_github: FakeGitHub, redis_server: TestRedis, tmp_path, redacting_log) -> None:
    logged = redacting_log
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, store):
        form = open_form(receiver, org="octo-org")
        assert form.action.startswith(f"{fake_github.url}/organizations/octo-org/settings/apps/new?")
        assert form.manifest["hook_attributes"]["url"] == f"{receiver.url}/api/github/webhooks"
        assert form.manifest["redirect_url"] == f"{receiver.url}/setup/callback"
        redirect = submit(form)
        done = _callback(redirect)
        assert done.status_code == 200, done.text
        assert "https://github.com/apps/iquest-autofix/installations/new" in done.text
        assert fake_github.app.owner.login == "octo-org"
        env = (tmp_path / ".env").read_text()
        assert f"IQUEST_APP_ID={fake_github.app_id}\n" in env
        assert f"IQUEST_WEBHOOK_SECRET={fake_github.webhook_secret}\n" in env
        assert (tmp_path / "github-app.pem").read_text() == fake_github.private_key
        for name in (".env", "github-app.pem"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        assert files_in(tmp_path) == [".env", "github-app.pem"]  # no temp files left behind
        # The log redactor learnt the secrets /setup saved: they never reach a log line.
        logging.getLogger("iquest.test").warning("saw %s", fake_github.webhook_secret)
        assert fake_github.webhook_secret not in logged.getvalue()
        assert "[REDACTED]" in logged.getvalue()
        # No restart: the running receiver checks deliveries with GitHub's new secret.
        ping = load_payload("ping/ping.json")
        assert post_webhook(receiver.url, "ping", ping, secret=fake_github.webhook_secret
                            ).status_code == 200
        assert post_webhook(receiver.url, "ping", ping).status_code == 401  # the old secret
        # Once configured, /setup registers nothing, and the spent state cannot be replayed.
        assert httpx.get(f"{receiver.url}/setup").status_code == 409
        assert "settings/apps/new" not in httpx.get(f"{receiver.url}/setup").text
        assert _callback(redirect).status_code == 400


def test_the_receiver_follows_a_secret_another_process_saved(
        fake_github: FakeGitHub, redis_server: TestRedis, tmp_path) -> None:
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, store):
        ping = load_payload("ping/ping.json")
        store.env_file.write_text("IQUEST_WEBHOOK_SECRET=from-another-process\n")
        assert post_webhook(receiver.url, "ping", ping, secret="from-another-process"
                            ).status_code == 200
        assert post_webhook(receiver.url, "ping", ping).status_code == 401


@pytest.mark.parametrize("tamper", ["wrong", "missing", "reused"])
def test_a_bad_state_is_400_and_writes_nothing(fake_github: FakeGitHub, redis_server: TestRedis,
                                               tmp_path, tamper: str) -> None:
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, _):
        form = open_form(receiver)
        if tamper == "reused":
            # A state spent on a failed exchange stays spent.
            first = httpx.get(f"{receiver.url}/setup/callback",
                              params={"code": "0" * 20, "state": form.state})
            assert first.status_code == 502
            fake_github.pop_failures()
            redirect = submit(form)
        else:
            action = form.action.replace(form.state, "forged") if tamper == "wrong" else \
                form.action.split("?")[0]
            redirect = submit(form, action)
        answer = _callback(redirect)
        assert answer.status_code == 400
        assert "Nothing was written" in answer.text
        assert files_in(tmp_path) == []
        assert len(fake_github.manifest_codes) == 1  # the code was never exchanged


def test_an_existing_configuration_is_never_overwritten(
        fake_github: FakeGitHub, redis_server: TestRedis, tmp_path) -> None:
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, store):
        form = open_form(receiver)
        before = "IQUEST_APP_ID=7\nIQUEST_WEBHOOK_SECRET=mine\nIQUEST_PRIVATE_KEY_FILE=k.pem\n"
        store.env_file.write_text(before)
        page = httpx.get(f"{receiver.url}/setup")
        assert page.status_code == 409 and "IQUEST_APP_ID=7" in page.text
        assert "mine" not in page.text  # names what is configured, never a secret
        answer = _callback(submit(form))
        assert answer.status_code == 409
        assert store.env_file.read_text() == before
        assert not store.key_file.exists()


def test_an_unreadable_env_file_counts_as_configured(
        fake_github: FakeGitHub, redis_server: TestRedis, tmp_path) -> None:
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, store):
        store.env_file.write_text("IQUEST_APP_ID=12ab\n")  # a typo, not an unset value
        page = httpx.get(f"{receiver.url}/setup")
        assert page.status_code == 409 and "does not parse" in page.text


def test_the_proxy_channel_is_the_webhook_url(fake_github: FakeGitHub, redis_server: TestRedis,
                                              tmp_path) -> None:
    channel = "https://smee.io/abc123"
    with setup_receiver(fake_github, redis_server.url, tmp_path,
                        webhook_proxy_url=channel) as (receiver, _):
        form = open_form(receiver)
        assert form.manifest["hook_attributes"]["url"] == channel
        assert _callback(submit(form)).status_code == 200


def test_a_bad_org_name_is_refused(fake_github: FakeGitHub, redis_server: TestRedis,
                                   tmp_path) -> None:
    with setup_receiver(fake_github, redis_server.url, tmp_path) as (receiver, _):
        assert httpx.get(f"{receiver.url}/setup",
                         params={"org": "a/../b", "token": TEST_SETUP_TOKEN}).status_code == 400


def test_enterprise_server_web_url() -> None:
    assert github_web_url("https://api.github.com") == "https://github.com"
    assert github_web_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com"


def test_the_manifest_ships_in_the_package_and_a_missing_one_is_an_error() -> None:
    manifest = load_manifest()
    assert "workflows" not in manifest["default_permissions"]
    with pytest.raises(ManifestError, match="missing from this installation"):
        load_manifest("tests.support")
