"""`iquest env` as a user runs it: plan, build (miss then hit), run offline with the command's
status, the sandbox's walls through `run`, list and prune. Builds use a wheel folder (offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.wheels import make_wheel

TEST = "import tinydep\n\ndef test_answer():\n    assert tinydep.answer() == 42\n"


@pytest.fixture
def setup(tmp_path, bwrap_sandbox):
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinydep", "1.0", {"tinydep/__init__.py": "def answer():\n    return 42\n"})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements-test.txt").write_text("tinydep\n")
    (repo / "test_dep.py").write_text(TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update({"IQUEST_DATA_DIR": str(tmp_path / "data"), "IQUEST_ENV_FIND_LINKS": str(wheels),
                "IQUEST_ENV_NO_INDEX": "true"})
    return repo, env


def iquest(env: dict, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workers.cli", "env", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_plan_build_run_list_prune(setup):
    repo, env = setup
    plan = iquest(env, "plan", "--root", str(repo), "--json")
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert data["steps"][0]["args"] == ["-r", "requirements-test.txt"] and len(data["key"]) == 64
    text = iquest(env, "plan", "--root", str(repo)).stdout
    assert "uv pip install -r requirements-test.txt  # from requirements-test.txt" in text

    first = json.loads(iquest(env, "build", "--root", str(repo), "--json").stdout)
    second = json.loads(iquest(env, "build", "--root", str(repo), "--json").stdout)
    assert (first["cache"], second["cache"]) == ("miss", "hit")
    assert first["key"] == second["key"] == data["key"] and first["size_bytes"] > 0

    ran = iquest(env, "run", "--root", str(repo), "--", "python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout and "cache hit" in ran.stderr
    failing = iquest(env, "run", "--root", str(repo), "--", "sh", "-c", "echo nope; exit 7")
    assert failing.returncode == 7 and "nope" in failing.stdout

    listed = json.loads(iquest(env, "list", "--json").stdout)
    assert [e["key"] for e in listed] == [data["key"]]
    pruned = iquest(env, "prune", "--all")
    assert "1 environment(s) removed" in pruned.stdout
    assert json.loads(iquest(env, "list", "--json").stdout) == []


def test_run_shows_the_walls(setup, tmp_path):
    repo, env = setup
    env["IQUEST_SANDBOX_TMP_BYTES"] = str(64 << 20)
    fill = ("python -c \"import os\nfor i in range(10):\n    open(f'/tmp/f{i}', 'wb').write(os.urandom(8 << 20))\"")
    tmp = iquest(env, "run", "--root", str(repo), "--", "sh", "-c", fill)
    assert tmp.returncode != 0
    assert "/tmp in the sandbox is capped at 64 MiB (IQUEST_SANDBOX_TMP_BYTES)" in tmp.stderr
    passwd = iquest(env, "run", "--root", str(repo), "--", "sh", "-c", "getent passwd $(id -u) && awk 'BEGIN{print 42}'")
    assert passwd.returncode == 0 and "42" in passwd.stdout, passwd.stdout + passwd.stderr
    slow = iquest(env, "run", "--root", str(repo), "--timeout", "2", "--", "sleep", "30")
    assert slow.returncode == 124 and "timed out after 2 s" in slow.stderr


def test_a_failed_build_and_bad_arguments(setup, tmp_path):
    repo, env = setup
    (repo / "requirements-test.txt").write_text("tinydep\nabsent-package\n")
    failed = iquest(env, "build", "--root", str(repo))
    assert failed.returncode == 3
    assert "the test environment could not be built: `uv pip install -r requirements-test.txt` failed" in failed.stderr
    assert "absent-package" in failed.stderr
    missing = iquest(env, "plan", "--root", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    nothing = iquest(env, "run", "--root", str(repo))
    assert nothing.returncode == 2


def test_without_a_data_dir_the_cache_is_the_user_s(setup, tmp_path):
    repo, env = setup
    del env["IQUEST_DATA_DIR"]
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = json.loads(iquest(env, "build", "--root", str(repo), "--json", cwd=tmp_path / "one").stdout)
    second = json.loads(iquest(env, "build", "--root", str(repo), "--json", cwd=tmp_path / "two").stdout)
    assert (first["cache"], second["cache"]) == ("miss", "hit")
    assert (tmp_path / "xdg" / "iquest" / "environments" / "envs" / first["key"]).is_dir()
