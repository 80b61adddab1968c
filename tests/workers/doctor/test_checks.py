"""Single checks against real parts: Redis without persistence, an App lacking permissions or a
webhook URL, a wrong key, and the table's layout."""

from __future__ import annotations

from tests.fakes.github.fixtures import serve_fake
from tests.support.redis_server import TestRedis
from workers.config import Settings
from workers.doctor.github_check import check_github
from workers.doctor.redis_check import check_redis
from workers.doctor.report import Check, as_json, as_table, healthy


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_redis_without_persistence_fails_with_the_fix(tmp_path) -> None:
    server = TestRedis(tmp_path / "redis")
    server.start()
    try:
        client = server.client()
        client.config_set("appendonly", "no")
        client.config_set("save", "")
        check = check_redis(_settings(redis_url=server.url))
    finally:
        server.stop()
    assert not check.ok and check.required
    assert "persistence off" in check.detail and "appendonly yes" in check.fix


def test_unreachable_redis_is_named(tmp_path) -> None:
    check = check_redis(_settings(redis_url="redis://:secret@127.0.0.1:9/0"))
    assert not check.ok and "cannot reach redis://***@127.0.0.1:9/0" in check.detail
    assert "secret" not in check.detail


def test_an_app_lacking_a_permission_or_event_of_app_yml_is_told_which(
    openapi_spec, app_keypair, github_skeletons
) -> None:
    with serve_fake(openapi_spec, app_keypair, github_skeletons,
                    permissions={"contents": "read", "issues": "write", "metadata": "read",
                                 "pull_requests": "write", "checks": "write"},
                    events=["issues", "issue_comment"]) as fake:
        fake.add_installation(5, "acme")
        check = check_github(_settings(app_id=fake.app_id, private_key=fake.private_key,
                                       github_api_url=fake.url))
    assert not check.ok and check.required
    assert "contents:write" in check.detail and "event pull_request" in check.detail


def test_an_app_without_a_webhook_url_is_told_to_set_it(fake_github) -> None:
    fake_github.add_installation(5, "acme")
    fake_github.webhook_url = ""
    check = check_github(_settings(app_id=fake_github.app_id, private_key=fake_github.private_key,
                                   github_api_url=fake_github.url))
    assert not check.ok and "webhook unset" in check.detail and "/api/github/webhooks" in check.fix


def test_a_key_github_does_not_accept_is_a_refused_jwt(fake_github, openapi_spec) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    check = check_github(_settings(app_id=fake_github.app_id, private_key=other,
                                   github_api_url=fake_github.url))
    assert not check.ok and "HTTP 401" in check.detail and "private key" in check.fix
    # The fake records the JWT it refused; that refusal is what this test asked for.
    assert fake_github.failures and all("401" in f for f in fake_github.failures)
    fake_github.failures.clear()


def test_the_table_marks_required_failures_and_prints_their_fix() -> None:
    checks = [Check("settings", True, True, "parse"),
              Check("model server", False, True, "cannot reach x", "start it"),
              Check("environment builder", False, False, "uv missing", "install uv")]
    table = as_table(checks)
    assert "FAIL  model server" in table and "fix: start it" in table
    assert "warn  environment builder" in table
    assert not healthy(checks) and healthy([checks[0], checks[2]])
    assert '"ok": false' in as_json(checks)
