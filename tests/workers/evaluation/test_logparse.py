"""Per-framework log parsers and SWE-bench's grading rule, on logs shaped like the real ones."""

from __future__ import annotations

from workers.evaluation.logparse import (
    grade,
    parse_pytest,
    parse_pytest_options,
    parse_pytest_v2,
    parse_sympy,
    parser_for,
)

PYTEST_LOG = """\
============================= test session starts ==============================
collected 5 items

tests/test_config.py ..F.x                                               [100%]

=========================== short test summary info ============================
PASSED tests/test_config.py::test_config_from_pyfile
PASSED tests/test_config.py::test_from_file[json-load]
FAILED tests/test_config.py::test_config_from_file_toml - TypeError: bad mode
ERROR tests/test_config.py::test_session_lifetime - fixture 'app' not found
XFAIL tests/test_config.py::test_known_bug - reason: later
SKIPPED [1] tests/test_config.py:88: needs dotenv
==================== 1 failed, 2 passed, 1 xfailed in 0.12s ====================
"""


def test_pytest_reads_the_short_summary() -> None:
    statuses = parse_pytest(PYTEST_LOG)
    assert statuses == {
        "tests/test_config.py::test_config_from_pyfile": "PASSED",
        "tests/test_config.py::test_from_file[json-load]": "PASSED",
        "tests/test_config.py::test_config_from_file_toml": "FAILED",
        "tests/test_config.py::test_session_lifetime": "ERROR",
        "tests/test_config.py::test_known_bug": "XFAIL",
        "[1]": "SKIPPED",  # SWE-bench records skip lines this way too; no test id matches it
    }


def test_pytest_options_keeps_the_last_part_of_a_path_parameter() -> None:
    log = "PASSED tests/test_lint.py::test_file[/tmp/pytest-1/data/input.py]\n" \
          "PASSED tests/test_lint.py::test_url[//example.com/x]\n"
    assert parse_pytest_options(log) == {
        "tests/test_lint.py::test_file[/input.py]": "PASSED",
        "tests/test_lint.py::test_url[//example.com/x]": "PASSED",
    }


def test_pytest_v2_strips_colours_and_reads_old_style_lines() -> None:
    log = "\x1b[32mPASSED\x1b[0m astropy/io/tests/test_a.py::test_one\n" \
          "astropy/io/tests/test_a.py::test_two FAILED\n"
    assert parse_pytest_v2(log) == {
        "astropy/io/tests/test_a.py::test_one": "PASSED",
        "astropy/io/tests/test_a.py::test_two": "FAILED",
    }


SYMPY_LOG = """\
============================= test process starts ==============================
executable:         /usr/bin/python  (3.9.19-final-0) [CPython]
random seed:        40021395
hash randomization: on (PYTHONHASHSEED=1234)

sympy/core/tests/test_basic.py[4]
test__aresame ok
test_structure ok                                                            [OK]
test_equality F
test_atoms E                                                                [FAIL]

________________________________________________________________________________
___________ sympy/core/tests/test_basic.py:test_equality ____________
Traceback (most recent call last):
AssertionError
============= tests finished: 2 passed, 1 failed, 1 exceptions in 0.31 seconds =============
DO *NOT* COMMIT!
"""


def test_sympy_reads_its_own_runner() -> None:
    statuses = parse_sympy(SYMPY_LOG)
    assert statuses["test__aresame"] == "PASSED"
    assert statuses["test_structure"] == "PASSED"
    assert statuses["test_equality"] == "FAILED"
    assert statuses["test_atoms"] == "ERROR"
    assert statuses["sympy/core/tests/test_basic.py:test_equality"] == "FAILED"


def test_the_parser_is_chosen_per_repository_as_swebench_does() -> None:
    assert parser_for("sympy/sympy") == "sympy"
    assert parser_for("psf/requests") == "pytest_options"
    assert parser_for("sphinx-doc/sphinx") == "pytest_v2"
    assert parser_for("pallets/flask") == "pytest"
    assert parser_for("acme/own", "bin/test -C --verbose") == "sympy"


def test_grading_counts_missing_tests_as_failed_and_skipped_for_neither_side() -> None:
    statuses = parse_pytest(PYTEST_LOG)
    graded = grade(
        statuses,
        ["tests/test_config.py::test_config_from_file_toml", "tests/test_config.py::test_known_bug"],
        ["tests/test_config.py::test_config_from_pyfile", "tests/test_config.py::test_gone"],
    )
    assert graded.f2p_failed == ("tests/test_config.py::test_config_from_file_toml",)
    assert graded.f2p_passed == ("tests/test_config.py::test_known_bug",)  # XFAIL counts as passed
    assert graded.p2p_failed == ("tests/test_config.py::test_gone",)  # not in the log at all
    assert not graded.resolved
    passing = grade({"a": "PASSED", "b": "SKIPPED"}, ["a"], ["b"])
    assert passing.resolved and passing.skipped == ("b",)


def test_matplotlib_ids_write_mouse_buttons_as_numbers() -> None:
    from workers.evaluation.logparse import PARSERS

    log = "PASSED lib/matplotlib/tests/test_widgets.py::test_span[MouseButton.LEFT-1]\n"
    assert PARSERS[parser_for("matplotlib/matplotlib")](log) == {
        "lib/matplotlib/tests/test_widgets.py::test_span[1-1]": "PASSED"
    }
