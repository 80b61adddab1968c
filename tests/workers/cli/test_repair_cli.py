"""`iquest repair` on a local checkout: the scripted model only, no GitHub, no Redis."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
RESPONSE = (SHOWCASE / "model_response.md").read_text()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "login-service"
    shutil.copytree(SHOWCASE / "repo", root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _iquest(args: list[str], model_server, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    # No Redis URL: a command that needed Redis would start an embedded one under the data dir.
    env.update(IQUEST_MODEL_BASE_URL=model_server.base_url, IQUEST_MODEL_CONTEXT_TOKENS="32768",
               IQUEST_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def _expected_diff(checkout: Path, tmp_path: Path) -> str:
    """The showcase response's diff as `iquest apply --check` renders it from the files."""
    response = tmp_path / "response.md"
    response.write_text(RESPONSE)
    check = subprocess.run(
        [sys.executable, "-m", "workers.cli", "apply", "--root", str(checkout),
         "--response", str(response), "--check"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    return check.stdout


def test_prints_the_diff_and_root_cause_and_changes_nothing(model_server, checkout, tmp_path) -> None:
    model_server.script(ChatReply(RESPONSE))
    before = _snapshot(checkout)
    result = _iquest(["repair", "--root", str(checkout), "--issue-file",
                      str(SHOWCASE / "issue.md")], model_server, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == _expected_diff(checkout, tmp_path)
    assert "+import secrets" in result.stdout and "--- a/utils.py" in result.stdout
    assert "root cause: `generate_session_id()` draws from `random`" in result.stderr
    assert _snapshot(checkout) == before
    assert not (tmp_path / "data").exists()  # no embedded Redis, no cache: nothing started
    [request] = model_server.chat_requests()
    assert "Concurrent logins can get the same session id" in str(request.json["messages"])


def test_apply_json_writes_the_files_and_reports_one_object(model_server, checkout, tmp_path) -> None:
    model_server.script(ChatReply(RESPONSE))
    expected = _expected_diff(checkout, tmp_path)
    result = _iquest(["repair", "--root", str(checkout), "--issue-file",
                      str(SHOWCASE / "issue.md"), "--apply", "--json"], model_server, tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "proposed" and report["applied"] is True
    assert report["diff"] == expected
    assert "utils.py" in report["files"] and "session_store.py" in report["files"]
    assert "random" in report["root_cause"] and report["tests"]
    utils = (checkout / "utils.py").read_text()
    assert "import secrets" in utils and "random.choices" not in utils
    assert "test_session_ids_are_unique" in (checkout / "tests" / "test_auth.py").read_text()


def test_unusable_edits_are_refused_with_exit_1_and_no_change(model_server, checkout, tmp_path) -> None:
    wrong = "utils.py\n```python\n<<<<<<< SEARCH\nno such line\n=======\nx = 1\n>>>>>>> REPLACE\n```\n"
    model_server.script(ChatReply(wrong), ChatReply(wrong))  # first answer and the repair round
    before = _snapshot(checkout)
    result = _iquest(["repair", "--root", str(checkout), "--issue-file",
                      str(SHOWCASE / "issue.md"), "--apply", "--json"], model_server, tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "refused" and report["applied"] is False and report["diff"] == ""
    assert "could not be applied" in report["reason"]
    assert _snapshot(checkout) == before


def test_a_model_failure_exits_3(model_server, checkout, tmp_path) -> None:
    model_server.script(ErrorReply(400, "context length exceeded"))
    result = _iquest(["repair", "--root", str(checkout), "--issue-file",
                      str(SHOWCASE / "issue.md")], model_server, tmp_path)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "failed:" in result.stderr


def test_bad_arguments_exit_2(model_server, tmp_path) -> None:
    result = _iquest(["repair", "--root", str(tmp_path / "missing"), "--issue-file", "x"],
                     model_server, tmp_path)
    assert result.returncode == 2 and "is not a folder" in result.stderr
