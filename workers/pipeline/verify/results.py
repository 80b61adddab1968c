"""Per-test outcomes from pytest's `-rA` short summary ("PASSED path::test", "FAILED ...")."""

from __future__ import annotations

import re

_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XPASS|XFAIL) (\S+)", re.MULTILINE)
PASSING = frozenset({"PASSED", "XFAIL"})


def read_outcomes(output: str) -> dict[str, bool]:
    """test id → passed; an ERROR on a whole file (collection) counts as a failure of it."""
    outcomes: dict[str, bool] = {}
    for status, test in _LINE.findall(output):
        outcomes[test] = outcomes.get(test, True) and status in PASSING
    return outcomes
