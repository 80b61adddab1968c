"""What runs for a fix, and how pytest's summary is read."""

from workers.pipeline.verify.plan import TestSettings, plan_tests
from workers.pipeline.verify.results import read_outcomes

PATHS = ["pkg/calc.py", "pkg/other.py", "tests/test_calc.py", "README.md"]


def test_pytest_runs_the_related_test_and_the_fix_s_new_test_files():
    plan = plan_tests(PATHS, {"pkg/calc.py": "x = 1\n", "tests/test_new.py": "def test_x(): pass\n"}, None, 300)
    assert plan.command.endswith(" tests/test_calc.py tests/test_new.py")
    assert plan.command.startswith("python3 -m pytest") and plan.uses_shipped_pytest
    assert plan.new_test_files == ("tests/test_new.py",) and plan.timeout_seconds == 300


def test_the_repository_s_own_command_wins():
    settings = TestSettings("make check", ("make deps",), 60)
    plan = plan_tests(PATHS, {"pkg/calc.py": "x = 1\n"}, settings, 300)
    assert (plan.command, plan.setup, plan.timeout_seconds) == ("make check", ("make deps",), 60)
    assert not plan.uses_shipped_pytest


def test_nothing_runs_without_tests_or_without_a_related_one():
    assert "no Python tests" in plan_tests(["src/main.go"], {"src/main.go": "package main\n"}, None, 300)
    assert "no test file relates" in plan_tests(PATHS, {"pkg/other.py": "y = 2\n"}, None, 300)


def test_outcomes_come_from_the_short_summary():
    output = (
        "PASSED tests/test_calc.py::test_mul\n"
        "FAILED tests/test_calc.py::test_add - assert -1 == 5\n"
        "ERROR tests/test_broken.py - ImportError: nope\n"
        "XFAIL tests/test_calc.py::test_known - reason\n"
        "1 failed, 1 passed in 0.1s\n"
    )
    assert read_outcomes(output) == {
        "tests/test_calc.py::test_mul": True,
        "tests/test_calc.py::test_add": False,
        "tests/test_broken.py": False,
        "tests/test_calc.py::test_known": True,
    }
