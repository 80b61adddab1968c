"""Tiny self-made SWE-bench instances: a git repository generated in the test, with a bug,
the test patch that exposes it and the gold patch that fixes it (no download needed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
}

CALC = '''"""Arithmetic."""


def add(a, b):
    return a - b


def double(a):
    return a * 2
'''
CALC_FIXED = CALC.replace("return a - b", "return a + b")
CALC_WRONG = CALC.replace("return a - b", "return a * b")
TESTS = '''from calc import double


def test_double():
    assert double(3) == 6
'''
TESTS_NEW = TESTS.replace("from calc import double", "from calc import add, double") + '''

def test_add():
    assert add(2, 3) == 5
'''


def git(repo: Path, *args: str, date: str = "") -> str:
    env = dict(GIT_ENV)
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def diff_of(repo: Path, files: dict[str, str]) -> str:
    """The `git diff` that turns HEAD's files into `files` (the work tree is restored)."""
    old = {path: (repo / path).read_text() if (repo / path).exists() else None for path in files}
    for path, text in files.items():
        (repo / path).write_text(text)
    git(repo, "add", "-N", *files)
    patch = git(repo, "diff")
    for path, text in old.items():
        if text is None:
            git(repo, "rm", "-q", "--cached", path)
            (repo / path).unlink()
        else:
            (repo / path).write_text(text)
    return patch


def make_repo(repos_dir: Path, repo: str = "acme/calc") -> tuple[Path, str]:
    owner, name = repo.split("/")
    path = repos_dir / f"{owner}+{name}" / "repo"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "calc.py").write_text(CALC)
    (path / "test_calc.py").write_text(TESTS)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "calc")
    return path, git(path, "rev-parse", "HEAD").strip()


def make_instance(repos_dir: Path, repo: str = "acme/calc") -> dict:
    path, base = make_repo(repos_dir, repo)
    return {
        "instance_id": f"{repo.replace('/', '__')}-1",
        "repo": repo,
        "base_commit": base,
        "problem_statement": "add() subtracts\nadd(2, 3) returns -1 instead of 5.",
        "patch": diff_of(path, {"calc.py": CALC_FIXED}),
        "test_patch": diff_of(path, {"test_calc.py": TESTS_NEW}),
        "FAIL_TO_PASS": json.dumps(["test_calc.py::test_add"]),
        "PASS_TO_PASS": json.dumps(["test_calc.py::test_double"]),
        "version": "",
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
