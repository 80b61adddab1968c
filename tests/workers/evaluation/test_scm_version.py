"""A version from git tags for setuptools-scm projects extracted without `.git`."""

from __future__ import annotations

from tests.workers.cli.test_eval_mine_cli import _commit
from tests.workers.evaluation.tiny import git
from workers.evaluation.scm_version import pretend_version


def test_a_tag_derived_version_for_scm_versioned_projects(tmp_path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, {"pyproject.toml": '[tool.setuptools_scm]\n'}, "first", "2024-01-01T00:00:00+00:00")
    git(repo, "tag", "v1.4.0")
    head = _commit(repo, {"a.py": "x = 1\n"}, "second", "2024-01-02T00:00:00+00:00")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text('[tool.setuptools_scm]\n')
    assert pretend_version(tree, repo, head, "calc") == "1.4.0.post1"
    assert "Version: 1.4.0.post1" in (tree / "PKG-INFO").read_text()
    git(repo, "tag", "2.0.0.dev0")
    later = _commit(repo, {"a.py": "x = 2\n"}, "third", "2024-01-03T00:00:00+00:00")
    (tree / "PKG-INFO").unlink()
    assert pretend_version(tree, repo, later, "calc") == "2.0.0.dev1"
    plain = tmp_path / "plain"
    plain.mkdir()
    assert pretend_version(plain, repo, later, "calc") is None and not (plain / "PKG-INFO").exists()
