"""`iquest doctor --json` as an operator runs it: a real Redis, the scripted model server and
the fake GitHub; healthy, with the model server stopped, and with a model it does not serve."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.model_profiles import VLLM
from tests.fakes.model_server import ChatReply, ScriptedModelServer
from tests.support.worker import worker_env


def _doctor(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", "doctor", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def _env(fake_github, redis_server, tmp_path: Path, server: ScriptedModelServer, **extra: str):
    return worker_env(fake_github, redis_server.url, tmp_path / "data",
                      IQUEST_MODEL_BASE_URL=server.base_url, IQUEST_SANDBOX="none", **extra)


def _by_name(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def test_a_healthy_setup_passes_every_required_check(fake_github, redis_server, tmp_path) -> None:
    fake_github.add_installation(77, "acme")
    with ScriptedModelServer(profile=VLLM) as server:
        server.script(ChatReply("ok"), ChatReply("a"), ChatReply("b"))
        result = _doctor(_env(fake_github, redis_server, tmp_path, server), tmp_path, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["ok"] is True
    checks = _by_name(report)
    assert [c["name"] for c in report["checks"]][:4] == [
        "settings", "redis", "github app", "model server"]
    assert all(c["ok"] for c in report["checks"] if c["required"])
    assert set(checks["settings"]) == {"name", "ok", "required", "detail", "fix"}
    assert "MODEL_BASE_URL" in checks["settings"]["detail"]  # named with its source
    assert "version" in checks["redis"]["detail"]
    assert "1 installation(s)" in checks["github app"]["detail"]
    assert "permissions and events as app.yml" in checks["github app"]["detail"]
    assert "ms" in checks["model completion"]["detail"]
    assert "top_k" in checks["model completion"]["detail"]
    assert checks["model context"]["detail"].startswith("32768 tokens reported")
    assert "vllm form" in checks["model /tokenize"]["detail"]
    assert checks["model n"]["detail"].startswith("several candidates")
    # The two-token probe asked for two tokens, with the model card's sampling.
    probe = server.chat_requests()[0].json
    assert probe["max_tokens"] == 2 and probe["top_k"] == 20


def test_a_stopped_model_server_is_named_and_fails(fake_github, redis_server, tmp_path) -> None:
    fake_github.add_installation(77, "acme")
    server = ScriptedModelServer(profile=VLLM).start()
    env = _env(fake_github, redis_server, tmp_path, server)
    server.stop()
    result = _doctor(env, tmp_path, "--json")
    report = json.loads(result.stdout)
    assert result.returncode != 0 and report["ok"] is False
    [failed] = [c for c in report["checks"] if c["required"] and not c["ok"]]
    assert failed["name"] == "model server"
    assert "cannot reach" in failed["detail"] and "IQUEST_MODEL_BASE_URL" in failed["fix"]


def test_a_model_the_server_does_not_serve_is_named_and_fails(
    fake_github, redis_server, tmp_path
) -> None:
    fake_github.add_installation(77, "acme")
    with ScriptedModelServer(profile=VLLM) as server:
        env = _env(fake_github, redis_server, tmp_path, server, IQUEST_MODEL="org/other-model")
        result = _doctor(env, tmp_path, "--json")
        table = _doctor(env, tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode != 0 and report["ok"] is False
    [failed] = [c for c in report["checks"] if c["required"] and not c["ok"]]
    assert failed["name"] == "model server"
    assert "does not serve org/other-model" in failed["detail"]
    assert server.model in failed["fix"]
    assert table.returncode != 0
    assert "FAIL  model server" in table.stdout and "fix: set IQUEST_MODEL" in table.stdout


def test_settings_that_do_not_parse_stop_the_checks(tmp_path) -> None:
    env = {k: v for k, v in worker_env(object.__new__(type("F", (), {"app_id": 1, "private_key": "",
                                                                    "url": "http://x"})),
                                       "redis://127.0.0.1:9/0", tmp_path).items()}
    env["IQUEST_CANDIDATES"] = "many"
    result = _doctor(env, tmp_path, "--json")
    report = json.loads(result.stdout)
    assert result.returncode != 0
    [check] = report["checks"]
    assert check["name"] == "settings" and "IQUEST_CANDIDATES" in check["detail"]


def test_at_dev_start_the_checks_spend_no_model_tokens(
    fake_github, redis_server, tmp_path, monkeypatch
) -> None:
    from workers.doctor.checks import run_checks

    fake_github.add_installation(77, "acme")
    with ScriptedModelServer(profile=VLLM) as server:
        for name, value in _env(fake_github, redis_server, tmp_path, server).items():
            if name.startswith("IQUEST_"):
                monkeypatch.setenv(name, value)
        checks = run_checks(redis_server.url, env_file=tmp_path / ".env", completions=False)
        assert server.chat_requests() == []
    names = [c.name for c in checks]
    assert "model completion" not in names and "model n" not in names
    assert {"model server", "model context", "model /tokenize"} <= set(names)
    assert all(c.ok for c in checks if c.required)
