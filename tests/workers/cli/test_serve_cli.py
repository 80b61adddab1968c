"""`iquest serve` as an operator starts it: the setup token it prints or is given, the URLs the
manifest gets, what it says about /repair, and the embedded Redis's password."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import redis

from tests.service.setup_support import read_form
from tests.support.redis_server import TestRedis
from tests.support.serve import ServeProcess
from tests.support.webhooks import TEST_SECRET
from tests.support.worker import wait_until

SETUP_STATES = "iquest:setup-state:*"
REPAIR = {"issue": {"title": "t"}, "files": {"a.py": "x = 1\n"}}


def _started(folder: Path, redis_url: str | None, **settings: str) -> ServeProcess:
    serve = ServeProcess(folder, redis_url, **settings)
    try:
        serve.wait_ready()
    except Exception:
        serve.stop()
        raise
    return serve


def _refused(page: httpx.Response) -> bool:
    return page.status_code == 403 and "needs the setup token" in page.text


def test_the_printed_setup_token_opens_setup_and_nothing_else_does(
        tmp_path: Path, redis_server: TestRedis, redis_client: redis.Redis) -> None:
    serve = _started(tmp_path, redis_server.url)
    try:
        printed = re.search(r"register it at (\S+/setup\?token=(\S+))", serve.log())
        assert printed, serve.log()
        url, token = printed.groups()
        assert url.startswith(f"{serve.url}/setup?token=") and len(token) >= 24
        # Without, with a wrong, and with the right token; forms and GETs alike.
        assert _refused(httpx.get(f"{serve.url}/setup"))
        assert _refused(httpx.get(f"{serve.url}/setup", params={"token": token[:-1] + "x"}))
        assert _refused(httpx.post(f"{serve.url}/setup", data={"token": "guess"}))
        # A GET, right token or not, writes nothing to Redis; the state is minted by the POST.
        for _ in range(3):
            page = httpx.get(url, headers={"Host": "evil.example"})
            assert page.status_code == 200 and 'name="token"' in page.text
        assert redis_client.keys(SETUP_STATES) == []
        form = read_form(httpx.post(f"{serve.url}/setup", data={"token": token},
                                    headers={"Host": "evil.example"}).text)
        assert len(redis_client.keys(SETUP_STATES)) == 1
        # The Host header chooses nothing: the manifest names the URL serve printed.
        assert form.manifest["hook_attributes"]["url"] == f"{serve.url}/api/github/webhooks"
        assert form.manifest["redirect_url"] == f"{serve.url}/setup/callback"
        # No IQUEST_REPAIR_TOKEN: serve says so, and the webhook secret does not open /repair.
        assert "POST /repair and GET /jobs are off" in serve.log()
        answer = httpx.post(f"{serve.url}/repair", json=REPAIR,
                            headers={"Authorization": f"Bearer {TEST_SECRET}"})
        assert answer.status_code == 503 and "IQUEST_REPAIR_TOKEN" in answer.json()["error"]
    finally:
        serve.stop()


def test_a_configured_setup_token_and_public_url(
        tmp_path: Path, redis_server: TestRedis, redis_client: redis.Redis) -> None:
    public = "https://autofix.example.com"
    serve = _started(tmp_path, redis_server.url, IQUEST_SETUP_TOKEN="operator-chosen-token-123",
                     IQUEST_PUBLIC_URL=public, IQUEST_REPAIR_TOKEN="ci-repair-token-456")
    try:
        assert f"register it at {public}/setup?token=operator-chosen-token-123" in serve.log()
        assert _refused(httpx.get(f"{serve.url}/setup", params={"token": "wrong"}))
        start = httpx.get(f"{serve.url}/setup", params={"token": "operator-chosen-token-123"})
        assert start.status_code == 200
        form = read_form(httpx.post(f"{serve.url}/setup",
                                    data={"token": "operator-chosen-token-123"}).text)
        assert form.manifest["hook_attributes"]["url"] == f"{public}/api/github/webhooks"
        assert form.manifest["redirect_url"] == f"{public}/setup/callback"
        # /repair takes its own token, never the webhook secret.
        assert "are off" not in serve.log()
        secret = httpx.post(f"{serve.url}/repair", json=REPAIR,
                            headers={"Authorization": f"Bearer {TEST_SECRET}"})
        assert secret.status_code == 401
        own = httpx.post(f"{serve.url}/repair", json=REPAIR,
                         headers={"Authorization": "Bearer ci-repair-token-456"})
        assert own.status_code == 202, own.text
        # The tokens never reach the log (only the setup URL line printed to the terminal).
        assert "ci-repair-token-456" not in serve.log()
    finally:
        serve.stop()


def test_the_embedded_redis_refuses_clients_without_its_password(tmp_path: Path) -> None:
    serve = _started(tmp_path, None)
    try:
        found = re.search(r"embedded redis at redis://:\*\*\*@127\.0\.0\.1:(\d+)/0", serve.log())
        assert found, serve.log()
        port = int(found.group(1))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(200)
        assert answer.startswith(b"-NOAUTH"), answer
        password_file = tmp_path / "data" / "redis.password"
        assert oct(password_file.stat().st_mode & 0o777) == "0o600"
        assert oct(password_file.parent.stat().st_mode & 0o777) == "0o700"
        password = password_file.read_text()
        assert password not in serve.log()
        client = redis.Redis(host="127.0.0.1", port=port, password=password)
        assert client.ping()
        client.close()
        # The receiver itself was given the password: it is ready.
        wait_until(lambda: httpx.get(f"{serve.url}/readyz").status_code == 200,
                   what="the receiver to reach its Redis")
    finally:
        serve.stop()
