"""Never more than shown: "verified" and "tests pass" appear only when the receipt holds, in
every text a fix is published with (PR body, review and reply receipt, check run, status)."""

from __future__ import annotations

import re

import pytest

from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.check_run import render_fix_output
from workers.pipeline.publish.draft_pr import render_pull_body
from workers.pipeline.publish.receipt import render_compact, render_full, status_note
from workers.pipeline.receipt import CandidateNote, ModelUse, Receipt
from workers.pipeline.verification import Counts, EnvironmentReceipt, Verification

CLAIMS = re.compile(r"\bverified\b|tests? pass(es|ed)?\b", re.IGNORECASE)
DIFF = "--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-return a - b\n+return a + b\n"
RAN = dict(ran=True, command="python3 -m pytest tests", before=Counts(3, 1), after=Counts(4, 0))

UNVERIFIED = {
    "no verifier": None,
    "not run": Verification(False, reason="bubblewrap (bwrap) is not installed on this worker."),
    "regression": Verification(**{**RAN, "after": Counts(3, 1)}, regressions=("tests/t.py::test_mul",),
                               reproducing=("tests/t.py::test_add",)),
    "new test fails": Verification(**RAN, failing_new=("tests/t.py::test_add",)),
    "does not reproduce": Verification(**RAN, not_reproducing=("tests/t.py::test_add_zero",)),
}


def _proposal(verification: Verification | None) -> FixProposal:
    receipt = Receipt(
        verification, candidates=(CandidateNote(1, 1, "applied and parses; 2 changed lines"),),
        winner=1, why_winner="the only answer whose edits applied within the limits",
        model=ModelUse(1, 1200, 300, 4.2), files_shown=("calc.py", "tests/t.py"),
    )
    return FixProposal("a - b should be a + b", "Use +.", "", {"calc.py": "return a + b\n"}, DIFF,
                       verification=verification, receipt=receipt)


def _texts(proposal: FixProposal) -> list[str]:
    output = render_fix_output(proposal, "Draft pull request #4")
    return [render_pull_body(1, proposal), render_compact(proposal.receipt), output.title,
            output.summary, output.text, status_note(proposal.receipt, "It has not been run.")]


@pytest.mark.parametrize("case", sorted(UNVERIFIED))
def test_an_unverified_fix_never_claims_it(case: str) -> None:
    proposal = _proposal(UNVERIFIED[case])
    for text in _texts(proposal):
        assert not CLAIMS.search(text), f"{case}: {CLAIMS.search(text)!r} in {text!r}"
    output = render_fix_output(proposal, "Draft pull request #4")
    assert output.conclusion == "neutral"
    assert output.title.startswith("Fix not proven (") and proposal.receipt.unverified_reason() in output.title


def test_a_verified_fix_says_so_with_its_evidence() -> None:
    verification = Verification(**RAN, reproducing=("tests/t.py::test_add",), flaky=("tests/t.py::test_io",),
                                environment=EnvironmentReceipt("ab" * 32, True, 0.0, "3.11"))
    proposal = _proposal(verification)
    output = render_fix_output(proposal, "Draft pull request #4")
    assert output.conclusion == "success" and output.title == "Verified fix: 1 file changed"
    body = render_pull_body(1, proposal)
    assert "| Verdict | Verified: the tests ran in a sandbox, nothing regressed and a new test reproduces the bug. |" in body
    assert "| Environment | `abababababababab`, Python 3.11, reused from the cache |" in body
    assert "| Tests before → after | 3 passed, 1 failed → 4 passed, 0 failed |" in body
    full = render_full(proposal.receipt)
    assert "flaky (passed the second time): `tests/t.py::test_io`; broken (failed again): none." in full
    assert "1 answer(s), 1200 prompt + 300 completion tokens, 4.2 s" in full
    assert "- `calc.py`\n- `tests/t.py`" in full
    assert output.text.startswith("## Receipt") and "**Commands**" in output.text
