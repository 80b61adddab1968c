"""Test logs → per-test status, per framework, and SWE-bench's grading of F2P and P2P.

Modelled on SWE-bench's harness (`swebench/harness/log_parsers`, `grading.py`): a test id is
what that harness would record for the same log, so published FAIL_TO_PASS and PASS_TO_PASS
lists match. Frameworks: pytest's `-rA` summary (the default), the same with long path-like
parameters shortened to their last part (requests, pylint, pydicom), pytest with lines
ending in the status (astropy, scikit-learn, sphinx: older pytest), matplotlib's (mouse
buttons as numbers), and sympy's `bin/test`. Not read: Django's own runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"
    XFAIL = "XFAIL"


_STATUSES = tuple(s.value for s in Status)
_ANSI = re.compile(r"\x1b?\[\d+m")
_CONTROL = {code: None for code in range(1, 32)}
_OPTION = re.compile(r"(.*?)\[(.*)\]")
_SYMPY_HEADER = re.compile(r"_* (.*)\.py:(.*) _*")
# The runner right-aligns a file's verdict after its last test on the same line.
_SYMPY_FILE_VERDICT = re.compile(r"\s+\[(OK|FAIL)\]$")

Parser = Callable[[str], dict[str, str]]


def _summary_line(line: str) -> tuple[str, str] | None:
    """`STATUS test-id [- message]` of pytest's short summary: (test id, status)."""
    if not line.startswith(_STATUSES):
        return None
    if line.startswith(Status.FAILED.value):
        line = line.replace(" - ", " ")
    words = line.split()
    if len(words) < 2 or words[0] not in _STATUSES:
        return None
    return words[1], words[0]


def parse_pytest(log: str) -> dict[str, str]:
    """pytest run with `-rA`: one summary line per test."""
    statuses: dict[str, str] = {}
    for line in log.split("\n"):
        found = _summary_line(line)
        if found:
            statuses[found[0]] = found[1]
    return statuses


def _short_option(test_id: str) -> str:
    """A parameter that is an absolute path keeps only its last part (as SWE-bench records it)."""
    match = _OPTION.search(test_id)
    if not match:
        return test_id
    main, option = match.groups()
    if option.startswith("/") and not option.startswith("//") and "*" not in option:
        option = "/" + option.split("/")[-1]
    return f"{main}[{option}]"


def parse_pytest_options(log: str) -> dict[str, str]:
    return {_short_option(test): status for test, status in parse_pytest(log).items()}


def parse_matplotlib(log: str) -> dict[str, str]:
    """pytest's summary with mouse buttons written as numbers, as matplotlib's ids are recorded."""
    return parse_pytest(log.replace("MouseButton.LEFT", "1").replace("MouseButton.RIGHT", "3"))


def parse_pytest_v2(log: str) -> dict[str, str]:
    """pytest's summary, colours stripped, plus `test-id STATUS` lines of older versions."""
    statuses: dict[str, str] = {}
    for raw in log.split("\n"):
        line = _ANSI.sub("", raw).translate(_CONTROL)
        found = _summary_line(line)
        if found:
            statuses[found[0]] = found[1]
        elif line.endswith(_STATUSES):
            words = line.split()
            if len(words) >= 2:
                statuses[words[0]] = words[1]
    return statuses


def parse_sympy(log: str) -> dict[str, str]:
    """sympy's `bin/test --verbose`: `test_name ok|F|E` lines; `___ path.py:test ___` headers of
    the failure report mark a test failed too."""
    statuses: dict[str, str] = {}
    for match in _SYMPY_HEADER.finditer(log):
        statuses[f"{match.group(1)}.py:{match.group(2)}"] = Status.FAILED.value
    for raw in log.split("\n"):
        line = _SYMPY_FILE_VERDICT.sub("", raw.strip())
        if not line.startswith("test_"):
            continue
        name = line.split()[0]
        if line.endswith(" E"):
            statuses[name] = Status.ERROR.value
        elif line.endswith(" F"):
            statuses[name] = Status.FAILED.value
        elif line.endswith(" ok"):
            statuses[name] = Status.PASSED.value
    return statuses


PARSERS: dict[str, Parser] = {
    "pytest": parse_pytest,
    "pytest_options": parse_pytest_options,
    "pytest_v2": parse_pytest_v2,
    "sympy": parse_sympy,
    "matplotlib": parse_matplotlib,
}

# Which parser SWE-bench uses per repository; any other repository is read as pytest.
REPO_PARSER: dict[str, str] = {
    "psf/requests": "pytest_options",
    "pylint-dev/pylint": "pytest_options",
    "pydicom/pydicom": "pytest_options",
    "astropy/astropy": "pytest_v2",
    "scikit-learn/scikit-learn": "pytest_v2",
    "sphinx-doc/sphinx": "pytest_v2",
    "sympy/sympy": "sympy",
    "matplotlib/matplotlib": "matplotlib",
}


def parser_for(repo: str, test_cmd: str = "") -> str:
    if repo in REPO_PARSER:
        return REPO_PARSER[repo]
    return "sympy" if test_cmd.startswith("bin/test") else "pytest"


@dataclass(frozen=True)
class Grade:
    """F2P and P2P split into passed, failed (or missing from the log) and skipped."""

    f2p_passed: tuple[str, ...]
    f2p_failed: tuple[str, ...]
    p2p_passed: tuple[str, ...]
    p2p_failed: tuple[str, ...]
    skipped: tuple[str, ...]

    @property
    def resolved(self) -> bool:
        """SWE-bench's FULL resolution: no test of either list failed (skipped ones count for
        neither side, as in its harness)."""
        return not self.f2p_failed and not self.p2p_failed


def _split(tests: Iterable[str], statuses: Mapping[str, str]) -> tuple[list[str], list[str], list[str]]:
    passed, failed, skipped = [], [], []
    for test in tests:
        status = statuses.get(test)
        if status in (Status.PASSED.value, Status.XFAIL.value):
            passed.append(test)
        elif status is None or status in (Status.FAILED.value, Status.ERROR.value):
            failed.append(test)
        else:
            skipped.append(test)
    return passed, failed, skipped


def grade(
    statuses: Mapping[str, str], fail_to_pass: Iterable[str], pass_to_pass: Iterable[str]
) -> Grade:
    f_pass, f_fail, f_skip = _split(fail_to_pass, statuses)
    p_pass, p_fail, p_skip = _split(pass_to_pass, statuses)
    return Grade(tuple(f_pass), tuple(f_fail), tuple(p_pass), tuple(p_fail), tuple(f_skip + p_skip))
