"""Judging self-made instances in the real sandbox: gold resolves, empty and wrong do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workers.evaluation.tiny import CALC_WRONG, diff_of, make_instance
from workers.evaluation.checkout import checkout
from workers.evaluation.environment import WorkerPythonEnvironments
from workers.evaluation.instances import parse_instance
from workers.evaluation.judge import judge
from workers.evaluation.specs import spec_for


@pytest.fixture
def sandbox(bwrap_sandbox):
    return bwrap_sandbox


def _judge(tmp_path: Path, sandbox, patch_of) -> object:
    repos = tmp_path / "repos"
    instance = parse_instance(make_instance(repos), "test")
    tree = tmp_path / "tree"
    checkout(instance.repo, instance.base_commit, tree, repos)
    spec = spec_for(instance)
    env = WorkerPythonEnvironments().prepare(spec, tree)
    patch = patch_of(instance, repos / "acme+calc" / "repo")
    return judge(instance, patch, tree, spec, env, sandbox, timeout=120)


def test_gold_resolves(tmp_path, sandbox) -> None:
    verdict = _judge(tmp_path, sandbox, lambda instance, repo: instance.patch)
    assert verdict.applied and verdict.resolved, verdict.log
    assert verdict.grade.f2p_passed == ("test_calc.py::test_add",)
    assert verdict.grade.p2p_passed == ("test_calc.py::test_double",)


def test_empty_is_not_resolved(tmp_path, sandbox) -> None:
    verdict = _judge(tmp_path, sandbox, lambda instance, repo: "")
    assert verdict.applied and not verdict.resolved and not verdict.env_error
    assert verdict.grade.f2p_failed == ("test_calc.py::test_add",)
    assert verdict.grade.p2p_passed == ("test_calc.py::test_double",)


def test_a_wrong_fix_is_not_resolved(tmp_path, sandbox) -> None:
    verdict = _judge(tmp_path, sandbox, lambda i, repo: diff_of(repo, {"calc.py": CALC_WRONG}))
    assert verdict.applied and not verdict.resolved
    assert verdict.grade.f2p_failed == ("test_calc.py::test_add",)


def test_a_patch_that_does_not_apply_is_counted_as_not_applied(tmp_path, sandbox) -> None:
    bad = "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"
    verdict = _judge(tmp_path, sandbox, lambda instance, repo: bad)
    assert not verdict.applied and not verdict.resolved


def test_edits_to_the_test_files_do_not_count(tmp_path, sandbox) -> None:
    # A prediction that deletes the failing test's file: SWE-bench resets the test patch's
    # files before applying it, so the hidden test still runs and still fails.
    def cheat(instance, repo):
        return diff_of(repo, {"test_calc.py": "def test_double():\n    pass\n"})

    verdict = _judge(tmp_path, sandbox, cheat)
    assert verdict.applied and not verdict.resolved
    assert verdict.grade.f2p_failed == ("test_calc.py::test_add",)
