"""`iquest eval mine` on a generated history: only fixes whose test fails before and passes
after become instances, and a mined instance is judged resolved with its gold patch."""

from __future__ import annotations

import json
from pathlib import Path

from tests.workers.cli.test_eval_cli import _iquest
from tests.workers.evaluation.tiny import CALC, CALC_FIXED, TESTS, TESTS_NEW, git
from workers.evaluation.mine import is_test_path


def _commit(repo: Path, files: dict[str, str], message: str, date: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD").strip()


def _history(repos: Path) -> dict[str, str]:
    repo = repos / "acme+calc" / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shas = {}
    shas["old_fix"] = _commit(repo, {"calc.py": CALC, "test_calc.py": TESTS},
                              "Fix nothing yet: first version", "2023-01-05T10:00:00+00:00")
    shas["base"] = _commit(repo, {"README.md": "calc\n"}, "docs: readme", "2024-02-01T10:00:00+00:00")
    shas["fix"] = _commit(repo, {"calc.py": CALC_FIXED, "test_calc.py": TESTS_NEW},
                          "Fix add() subtracting its arguments (closes #3)", "2024-03-01T10:00:00+00:00")
    # Code and tests together, fix-like words, but the new test passes without the change.
    shas["refactor"] = _commit(
        repo,
        {"calc.py": CALC_FIXED.replace('"""Arithmetic."""', '"""Arithmetic, fixed."""'),
         "test_calc.py": TESTS_NEW + "\n\ndef test_double_zero():\n    assert double(0) == 0\n"},
        "Fix the docstring; one more test", "2024-04-01T10:00:00+00:00",
    )
    # A feature with tests: not a fix, not a candidate.
    shas["feature"] = _commit(
        repo, {"calc.py": CALC_FIXED + "\n\ndef neg(a):\n    return -a\n",
               "tests/test_neg.py": "from calc import neg\n\n\ndef test_neg():\n    assert neg(1) == -1\n"},
        "Add neg()", "2024-05-01T10:00:00+00:00",
    )
    return shas


def test_mine_finds_the_fix_and_its_instance_resolves_with_gold(tmp_path) -> None:
    repos = tmp_path / "repos"
    shas = _history(repos)
    mined = tmp_path / "mined.jsonl"
    result = _iquest(["mine", "--repo", "acme/calc", "--repos-dir", str(repos),
                      "--since", "2024-01-01", "--out", str(mined)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 candidate commits change code and tests together" in result.stderr
    [row] = [json.loads(line) for line in mined.read_text().splitlines()]
    assert row["instance_id"] == f"acme__calc-{shas['fix'][:10]}"
    assert row["base_commit"] == shas["base"] and row["fix_commit"] == shas["fix"]
    assert json.loads(row["FAIL_TO_PASS"]) == ["test_calc.py::test_add"]
    assert json.loads(row["PASS_TO_PASS"]) == ["test_calc.py::test_double"]
    assert row["problem_statement"].startswith("Fix add() subtracting")  # no token: the message
    assert "calc.py" in row["patch"] and "test_calc.py" not in row["patch"]
    assert "test_calc.py" in row["test_patch"] and "calc.py b/calc.py" not in row["test_patch"]
    out = tmp_path / "judged"
    judged = _iquest(["--instances", str(mined), "--repos-dir", str(repos), "--out", str(out),
                      "--predictions", "gold"], tmp_path)
    assert judged.returncode == 0, judged.stderr
    [result_row] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert result_row["resolved"]


def test_mine_needs_a_local_clone(tmp_path) -> None:
    result = _iquest(["mine", "--repo", "acme/calc", "--out", str(tmp_path / "x.jsonl")], tmp_path)
    assert result.returncode == 2 and "--repos-dir" in result.stderr


def test_test_paths() -> None:
    assert is_test_path("tests/test_x.py") and is_test_path("pkg/testing/util.py")
    assert is_test_path("test_calc.py") and is_test_path("src/a/b_test.py")
    assert is_test_path("conftest.py")
    assert not is_test_path("src/contest.py") and not is_test_path("calc.py")

