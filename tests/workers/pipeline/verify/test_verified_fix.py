"""propose_fix with the tests run in the real sandbox: regressions and non-reproducing tests go
back to the model, the better round wins, and the PR body says what ran (or why nothing did)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply, ScriptedModelServer
from tests.workers.pipeline.context.localize.trees import write_tree
from workers.model.openai_compat import OpenAICompatModel
from workers.model.tokenizer import VllmTokenizer
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixStatus
from workers.pipeline.publish.draft_pr import render_pull_body
from workers.pipeline.run import FixLimits, propose_fix
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.none import NoSandbox
from workers.sandbox.port import Limits

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = "from calc import add, mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
ISSUE = IssueText(3, "add() subtracts", "`add(2, 3)` returns -1 instead of 5.")


def answer(add_body: str, mul_body: str, new_test: str) -> str:
    return f"""Root cause: `add` subtracts.

calc.py
```python
<<<<<<< SEARCH
def add(a, b):
    return a - b


def mul(a, b):
    return a * b
=======
def add(a, b):
    return {add_body}


def mul(a, b):
    return {mul_body}
>>>>>>> REPLACE
```

tests/test_calc.py
```python
<<<<<<< SEARCH
def test_mul():
    assert mul(2, 3) == 6
=======
def test_mul():
    assert mul(2, 3) == 6


{new_test}
>>>>>>> REPLACE
```
"""


BREAKS_MUL = answer("a + b", "a + b", "def test_add():\n    assert add(2, 3) == 5")
GOOD = answer("a + b", "a * b", "def test_add():\n    assert add(2, 3) == 5")
WEAK_TEST = answer("a + b", "a * b", "def test_add_zero():\n    assert add(0, 0) == 0")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {"calc.py": CALC, "tests/test_calc.py": TESTS})


def propose(repo, server, verifier, candidates: int = 1):
    model = OpenAICompatModel(server.base_url, server.model, max_retries=0)
    tokenizer = VllmTokenizer(server.base_url, server.model)
    limits = FixLimits(candidates=candidates)
    verify = verifier.verify if verifier else None
    return propose_fix(repo, "acme/calc", ISSUE, model, tokenizer, 32768, limits, verify=verify)


def test_a_candidate_that_breaks_a_test_is_replaced_by_one_with_a_reproducing_test(
    repo, model_server, bwrap_sandbox, tmp_path
) -> None:
    model_server.script(ChatReply(BREAKS_MUL), ChatReply(GOOD))
    verifier = Verifier(bwrap_sandbox, Limits(wall_seconds=120), cache_dir=tmp_path / "cache")
    outcome = propose(repo, model_server, verifier)
    assert outcome.status is FixStatus.PROPOSED
    proposal = outcome.proposal
    assert "return a * b" in proposal.changes["calc.py"]
    verification = proposal.verification
    assert verification.regressions == ()
    assert verification.reproducing == ("tests/test_calc.py::test_add",)
    assert str(verification.before) == "1 passed, 1 failed" and str(verification.after) == "2 passed, 0 failed"
    _, second = model_server.chat_requests()
    repair = second.json["messages"][-1]["content"]
    assert "passed before your change and fail after it: tests/test_calc.py::test_mul" in repair
    assert "assert 5 == 6" in repair  # the failing output, cut to budget
    body = render_pull_body(3, proposal)
    assert "its tests were run in a sandbox" in body and "## Receipt" in body
    assert "| Reproducing test | `tests/test_calc.py::test_add` |" in body
    assert "Regressions: none." in body and "| Verdict | Verified: the tests ran in a sandbox" in body
    assert list((tmp_path / "cache").iterdir()), "the baseline is cached"


def test_a_new_test_that_passes_without_the_fix_does_not_count_as_reproducing(
    repo, model_server, bwrap_sandbox
) -> None:
    model_server.script(ChatReply(WEAK_TEST), ChatReply(WEAK_TEST))
    outcome = propose(repo, model_server, Verifier(bwrap_sandbox, Limits(wall_seconds=120)))
    verification = outcome.proposal.verification
    assert verification.reproducing == ()
    assert verification.not_reproducing == ("tests/test_calc.py::test_add_zero",)
    _, second = model_server.chat_requests()
    assert "do not reproduce the bug" in second.json["messages"][-1]["content"]
    body = render_pull_body(3, outcome.proposal)
    assert "New tests that pass without the fix too: `tests/test_calc.py::test_add_zero`" in body
    assert "Not proven (the new test does not reproduce the bug)" in body
    assert "Verified" not in body


def test_without_a_sandbox_the_fix_is_as_today_and_says_it_was_not_run(repo, model_server) -> None:
    model_server.script(ChatReply(BREAKS_MUL))
    sandbox = NoSandbox("bubblewrap (bwrap) is not installed on this worker")
    outcome = propose(repo, model_server, Verifier(sandbox, Limits()))
    assert outcome.status is FixStatus.PROPOSED
    assert len(model_server.chat_requests()) == 1, "no repair round: nothing was run"
    assert outcome.proposal.verification.ran is False
    body = render_pull_body(3, outcome.proposal)
    assert "it has not been run." in body
    assert "- none: bubblewrap (bwrap) is not installed on this worker." in body
    assert "Not proven (tests not run: bubblewrap (bwrap) is not installed on this worker)" in body


def test_of_two_sampled_candidates_the_one_without_regressions_wins(
    repo, model_server, bwrap_sandbox
) -> None:
    model_server.script(ChatReply(BREAKS_MUL), ChatReply(GOOD))
    outcome = propose(repo, model_server, Verifier(bwrap_sandbox, Limits(wall_seconds=120)), candidates=2)
    [request] = model_server.chat_requests()
    assert request.json["n"] == 2 and request.json["temperature"] == 0.6, "one request with n"
    proposal = outcome.proposal
    assert "return a * b" in proposal.changes["calc.py"], "candidate 2 carries the PR"
    assert proposal.verification.regressions == ()
    assert proposal.verification.reproducing == ("tests/test_calc.py::test_add",)
    body = render_pull_body(3, proposal)
    assert "## Receipt" in body and "`tests/test_calc.py::test_add`" in body
    assert "| Candidates | 2 tried, #2 published |" in body
    assert "-    return a * b" not in proposal.diff, "the diff is candidate 2's: mul untouched"


def test_a_server_without_n_is_sampled_one_request_at_a_time(repo, bwrap_sandbox) -> None:
    with ScriptedModelServer(supports_n=False) as server:
        server.script(ChatReply(BREAKS_MUL), ChatReply(GOOD))
        outcome = propose(repo, server, Verifier(bwrap_sandbox, Limits(wall_seconds=120)), candidates=2)
        assert len(server.chat_requests()) == 2
    assert "return a * b" in outcome.proposal.changes["calc.py"]


def test_without_tests_the_smallest_of_the_candidates_wins(repo, model_server) -> None:
    model_server.script(ChatReply(BREAKS_MUL), ChatReply(GOOD))
    outcome = propose(repo, model_server, None, candidates=2)
    assert outcome.proposal.verification is None
    assert "return a * b" in outcome.proposal.changes["calc.py"]  # GOOD changes fewer lines
