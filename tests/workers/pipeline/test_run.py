"""propose_fix over the real model adapter and the scripted server: rounds, limits, budget."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply, count_fake_tokens
from workers.model.openai_compat import OpenAICompatModel
from workers.model.reply import ModelError
from workers.model.tokenizer import VllmTokenizer
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixStatus
from workers.pipeline.run import FixLimits, propose_fix

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
GOOD = (SHOWCASE / "model_response.md").read_text()
TITLE, _, BODY = (SHOWCASE / "issue.md").read_text().partition("\n")
ISSUE = IssueText(7, TITLE, BODY)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SHOWCASE / "repo", root)
    return root


def _propose(repo, server, context=32768, limits=FixLimits(), issue=ISSUE):
    model = OpenAICompatModel(server.base_url, server.model, max_retries=0)
    tokenizer = VllmTokenizer(server.base_url, server.model)
    return propose_fix(repo, "acme/login", issue, model, tokenizer, context, limits)


def test_a_good_answer_becomes_a_proposal_without_touching_the_tree(repo, model_server) -> None:
    model_server.script(ChatReply(GOOD))
    outcome = _propose(repo, model_server)
    assert outcome.status is FixStatus.PROPOSED
    proposal = outcome.proposal
    assert "import secrets" in proposal.changes["utils.py"]
    assert "+import secrets" in proposal.diff and "random" in proposal.root_cause
    assert "random.choices" in (repo / "utils.py").read_text()  # computed, not written


def test_unplaceable_edits_get_one_repair_round(repo, model_server) -> None:
    wrong = GOOD.replace("    def save(self, session_id", "    def store(self, session_id", 1)
    model_server.script(ChatReply(wrong), ChatReply(GOOD))
    outcome = _propose(repo, model_server)
    assert outcome.status is FixStatus.PROPOSED
    first, second = model_server.chat_requests()
    messages = second.json["messages"]
    assert messages[:2] == first.json["messages"]  # same prefix: the server's cache is reused
    assert messages[2] == {"role": "assistant", "content": wrong.strip()}
    assert "session_store.py" in messages[3]["content"]


def test_limits_refuse_a_fix_that_is_too_big(repo, model_server) -> None:
    model_server.script(ChatReply(GOOD))
    outcome = _propose(repo, model_server, limits=FixLimits(max_files=2))
    assert outcome.status is FixStatus.REFUSED
    assert "changes 4 files" in outcome.reason and "at most 2" in outcome.reason


def test_denied_paths_are_never_edited(repo, model_server) -> None:
    model_server.script(ChatReply(GOOD), ChatReply(GOOD))
    outcome = _propose(repo, model_server, limits=FixLimits(deny_paths=("auth.py",)))
    assert outcome.status is FixStatus.REFUSED
    assert "auth.py" in outcome.reason


def test_prompt_fits_the_context_even_with_a_long_issue(repo, model_server) -> None:
    model_server.script(ChatReply(GOOD))
    long_issue = IssueText(7, TITLE, BODY + "\n" + "The login page is slow. " * 300)
    context = 12288
    outcome = _propose(repo, model_server, context=context, issue=long_issue)
    assert outcome.status is FixStatus.PROPOSED
    [request] = model_server.chat_requests()
    sent = sum(count_fake_tokens(m["content"]) for m in request.json["messages"])
    # Room is left for the answer and for a repair round's second answer.
    assert sent + 2 * request.json["max_tokens"] <= context


def test_an_issue_too_long_for_the_context_is_refused_before_asking(repo, model_server) -> None:
    huge = IssueText(7, TITLE, "word " * 5000)
    outcome = _propose(repo, model_server, context=4096, issue=huge)
    assert outcome.status is FixStatus.REFUSED and "too little room" in outcome.reason
    assert model_server.chat_requests() == []


def test_model_outage_is_left_to_the_job_retry(repo, model_server) -> None:
    model_server.script(ErrorReply(503, "loading"))
    with pytest.raises(ModelError) as error:
        _propose(repo, model_server)
    assert error.value.transient


def _tokenize_requests(server) -> int:
    return sum(1 for r in server.requests if r.path == "/tokenize")


def test_counting_tokens_takes_three_requests_on_the_showcase(repo, model_server) -> None:
    model_server.script(ChatReply(GOOD))
    assert _propose(repo, model_server).status is FixStatus.PROPOSED
    # The prompt's frame, one measurement of the candidate files, the packed code.
    assert _tokenize_requests(model_server) == 3


def test_counting_tokens_takes_three_requests_on_a_2000_file_repository(
    tmp_path, model_server
) -> None:
    from tests.support.generated_repo import ISSUE_BODY, ISSUE_TITLE, MODEL_REPLY, generate_repo

    root = tmp_path / "big"
    for path, text in generate_repo(2_000).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    model_server.script(ChatReply(MODEL_REPLY))
    outcome = _propose(root, model_server, issue=IssueText(9, ISSUE_TITLE, ISSUE_BODY))
    assert outcome.status is FixStatus.PROPOSED
    assert _tokenize_requests(model_server) == 3
    # The packed prompt still fits: the server's own count of what was sent.
    [request] = model_server.chat_requests()
    sent = sum(count_fake_tokens(m["content"]) for m in request.json["messages"])
    assert sent + 2 * 8192 <= 32768


def test_narrowing_on_asks_two_questions_first_and_counts_no_extra_tokens(
    repo, model_server
) -> None:
    picks = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.py"))[:1]
    model_server.script(ChatReply("\n".join(picks)), ChatReply(""), ChatReply(GOOD))
    model = OpenAICompatModel(model_server.base_url, model_server.model, max_retries=0)
    tokenizer = VllmTokenizer(model_server.base_url, model_server.model)
    outcome = propose_fix(
        repo, "acme/login", ISSUE, model, tokenizer, 32768, narrow_tokens=4000
    )
    assert outcome.status is FixStatus.PROPOSED
    narrowing, _, fix = model_server.chat_requests()
    assert narrowing.json["max_tokens"] < 1000 and picks[0] in narrowing.json["messages"][0]["content"]
    assert "SEARCH" in fix.json["messages"][0]["content"] + fix.json["messages"][1]["content"]
    # The narrowing prompts are cut by size, not counted: still three /tokenize requests.
    assert _tokenize_requests(model_server) == 3
