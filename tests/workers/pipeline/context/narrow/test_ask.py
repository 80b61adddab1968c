"""Model-assisted narrowing over the real model adapter and the scripted model server."""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply, ErrorReply, count_fake_tokens
from tests.workers.pipeline.context.localize.trees import write_tree
from tests.workers.pipeline.context.test_pack import big_module
from workers.model.openai_compat import OpenAICompatModel
from workers.model.tokenizer import EstimatingTokenizer
from workers.pipeline.context.gather import gather_code
from workers.pipeline.context.localize import locate_files
from workers.pipeline.context.narrow import Narrower, Narrowing, merge_ranking
from workers.pipeline.context.narrow.ask import CHARS_PER_TOKEN, REPLY_TOKENS

ISSUE = (
    "Crash in parse_config when the file is empty\n\n"
    "Traceback (most recent call last):\n"
    '  File "app/config.py", line 4, in parse_config\n'
    "    return data['name']\n"
    "KeyError: 'name'\n"
)


@pytest.fixture
def repo(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/config.py": "def parse_config(data):\n    '''Read the config.'''\n\n    return data['name']\n",
        "app/ledger.py": big_module(),
        "app/loader.py": "def load(path):\n    '''Open a config file.'''\n    return open(path).read()\n",
        "tests/test_config.py": "from app.config import parse_config\n",
    }
    files.update(
        {f"app/extra/mod_{n}.py": f"def helper_{n}():\n    return {n}\n" for n in range(40)}
    )
    return write_tree(tmp_path, files)


def _narrower(server, budget=4000):
    model = OpenAICompatModel(server.base_url, server.model, max_retries=0)
    return Narrower(model, ISSUE, budget_tokens=budget)


def test_the_model_sees_paths_then_outlines_of_its_picks(repo, model_server) -> None:
    model_server.script(
        ChatReply("- app/loader.py\n2. `app/ledger.py`\nnot/a/path.py\n"),
        ChatReply("app/ledger.py::Ledger.settle_balance\napp/nowhere.py::x\nplain words\n"),
    )
    localization = locate_files(repo, ISSUE, top_k=5)
    narrowing = _narrower(model_server).narrow(repo, localization)
    assert narrowing.paths == ("app/loader.py", "app/ledger.py")  # unknown paths dropped
    assert narrowing.functions == {
        "app/ledger.py": frozenset({"Ledger.settle_balance", "settle_balance"})
    }
    files_request, functions_request = model_server.chat_requests()
    first = files_request.json["messages"][0]["content"]
    assert "parse_config" in first and "app/extra/mod_3.py" in first
    second = functions_request.json["messages"][0]["content"]
    outlines = second.split("</issue>")[1]
    assert "### app/loader.py\n1: def load(path):  # Open a config file." in outlines
    # A large file's outline is cut to its share of the budget.
    assert "### app/ledger.py" in outlines and "def unrelated_0(value):" in outlines
    assert "trailing_99" not in outlines and "app/config.py" not in outlines


def test_both_requests_stay_inside_the_budget(repo, model_server) -> None:
    budget = 1200
    model_server.script(ChatReply("app/ledger.py"), ChatReply("app/ledger.py::Ledger"))
    localization = locate_files(repo, ISSUE, top_k=5)
    _narrower(model_server, budget).narrow(repo, localization)
    requests = model_server.chat_requests()
    assert len(requests) == 2
    for request in requests:
        prompt = request.json["messages"][0]["content"]
        assert request.json["max_tokens"] == REPLY_TOKENS
        # Cut by characters at a rate below any code tokenizer's average...
        assert len(prompt) <= (budget / 2 - REPLY_TOKENS) * CHARS_PER_TOKEN + 300
        # ...so the server's own count (the fake's) keeps both requests inside the budget.
        assert count_fake_tokens(prompt) + REPLY_TOKENS <= budget / 2
    # The listing was cut to fit: not every one of the 40 extra modules is shown.
    assert "app/extra/mod_39.py" not in requests[0].json["messages"][0]["content"]


def test_a_failing_or_useless_answer_leaves_the_ranking_alone(repo, model_server) -> None:
    model_server.script(ErrorReply(400, "context too long"))
    localization = locate_files(repo, ISSUE, top_k=5)
    assert _narrower(model_server).narrow(repo, localization) == Narrowing()
    model_server.script(ChatReply("I would look at the configuration code."))
    assert _narrower(model_server).narrow(repo, localization) == Narrowing()


def test_a_wrong_answer_does_not_push_out_the_issues_own_evidence(repo, model_server) -> None:
    wrong = "\n".join(f"app/extra/mod_{n}.py" for n in range(5))
    model_server.script(ChatReply(wrong), ChatReply("app/extra/mod_1.py::helper_1"))
    tokenizer = EstimatingTokenizer()
    plain = gather_code(repo, ISSUE, 3000, tokenizer)
    narrowed = gather_code(repo, ISSUE, 3000, tokenizer, narrower=_narrower(model_server))
    assert narrowed.ranked[0] == "app/config.py" == plain.ranked[0]  # the traceback's file
    packed = [block.path for block in narrowed.code.files]
    assert packed[0] == "app/config.py"
    assert "app/extra/mod_0.py" in narrowed.ranked  # the picks are evidence too


def test_picks_interleave_with_the_ranking_after_the_named_files(repo) -> None:
    localization = locate_files(repo, ISSUE, top_k=4)
    named = localization.paths[0]
    merged = merge_ranking(
        localization, Narrowing(("app/extra/mod_7.py", "app/extra/mod_8.py", named)), 4
    )
    assert merged[0] == named
    assert merged[1] == "app/extra/mod_7.py"
    assert merged[2] == localization.paths[1]
    assert merged[3] == "app/extra/mod_8.py"


def test_named_functions_are_favoured_when_a_large_file_is_cut(repo) -> None:
    from workers.pipeline.context.gather import narrowed, pack_located

    localization = locate_files(repo, "ledger rounding is wrong", top_k=3)
    focus = Narrowing(("app/ledger.py",), {"app/ledger.py": frozenset({"trailing_42"})})
    code = pack_located(repo, narrowed(localization, focus), 1500, EstimatingTokenizer()).code
    ledger = next(block for block in code.files if block.path == "app/ledger.py")
    text = ledger.text
    assert "def trailing_42():" in text
