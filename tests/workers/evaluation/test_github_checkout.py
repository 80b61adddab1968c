"""Without --repos-dir the base commit comes from GitHub's tarball (the fake GitHub server,
through the production client and the snapshot cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.workers.evaluation.tiny import CALC, TESTS, make_instance, write_jsonl


def test_gold_resolves_from_the_github_tarball(fake_github, bwrap_sandbox, tmp_path) -> None:
    base = fake_github.create_repo("acme/calc", {"calc.py": CALC, "test_calc.py": TESTS})
    sha = base.resolve("main")
    # The same files in a local repository give the patches; the instance points at GitHub's commit.
    row = {**make_instance(tmp_path / "local"), "base_commit": sha}
    instances = write_jsonl(tmp_path / "instances.jsonl", [row])
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_GITHUB_TOKEN=fake_github.user_token("acme"),
               IQUEST_GITHUB_API_URL=fake_github.url, IQUEST_DATA_DIR=str(tmp_path / "data"),
               IQUEST_GITHUB_RETRY_BASE_SECONDS="0.05")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "eval", "--instances", str(instances),
         "--out", str(out), "--predictions", "gold"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [judged] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert judged["resolved"] and judged["f2p_passed"] == ["test_calc.py::test_add"], judged
    assert (tmp_path / "data" / "snapshots" / sha).is_dir()  # through the snapshot cache


def test_without_repos_dir_or_token_the_checkout_failure_is_an_environment_failure(tmp_path) -> None:
    row = make_instance(tmp_path / "local")
    instances = write_jsonl(tmp_path / "instances.jsonl", [row])
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_DATA_DIR=str(tmp_path / "data"))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "eval", "--instances", str(instances),
         "--out", str(out), "--predictions", "gold"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [judged] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert not judged["resolved"] and "no --repos-dir and no GitHub access" in judged["env_error"]
    assert "Environment failures" in (out / "report.md").read_text()
