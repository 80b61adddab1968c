import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workers.pipeline.context.localize.trees import write_tree
from workers.model.tokenizer import EstimatingTokenizer
from workers.pipeline.context.covering_test import find_test_file
from workers.pipeline.context.localize import IssueEvidence, read_issue
from workers.pipeline.context.localize.tree import walk_tree
from workers.pipeline.context.pack import ContextRole, PackOptions, pack_context

SMALL = "import os\n\n\ndef helper():\n    return os.getcwd()\n"


def big_module(functions: int = 200) -> str:
    """A module far larger than a small budget, with one function the issue is about."""
    parts = ["import json", "from collections import OrderedDict", ""]
    for index in range(functions):
        parts += [f"def unrelated_{index}(value):", f"    return json.dumps([value, {index}])", ""]
    parts += [
        "class Ledger:",
        '    """Keeps balances."""',
        "",
        "    def other(self):",
        "        return 1",
        "",
        "    def settle_balance(self, amount):",
        "        # rounding bug lives here",
        "        return round(amount, 1)",
        "",
    ]
    parts += [f"def trailing_{index}():\n    return {index}\n" for index in range(100)]
    return "\n".join(parts)


@pytest.fixture
def repo(tmp_path):
    return write_tree(
        tmp_path,
        {
            "pkg/ledger.py": big_module(),
            "pkg/small.py": SMALL,
            "pkg/tests/test_ledger.py": "from pkg.ledger import Ledger\n\n\ndef test_settle():\n"
            "    assert Ledger().settle_balance(1.25) == 1.25\n",
            "pkg/logo.png": b"\x89PNG\x00\x00\x01",
        },
    )


ISSUE_TEXT = "Ledger.settle_balance rounds wrongly\n`settle_balance(1.25)` gives 1.2"
# Packing takes localization's reading of the issue; paths play no part in this one.
ISSUE = read_issue(ISSUE_TEXT, [])


def read_in(root, text: str) -> IssueEvidence:
    """The issue as localization reads it against the tree at root."""
    return read_issue(text, [f.path for f in walk_tree(root)])


def test_small_files_are_whole_with_line_numbers(repo):
    context = pack_context(repo, ["pkg/small.py"], ISSUE, 10_000, EstimatingTokenizer())
    [block] = context.files
    assert block.whole and block.role == ContextRole.EDIT
    assert "### pkg/small.py (whole file)" in context.text
    assert "     4\tdef helper():" in context.text


def test_a_big_file_is_sliced_to_its_imports_and_the_relevant_definition(repo):
    context = pack_context(
        repo,
        ["pkg/ledger.py"],
        ISSUE,
        1_500,
        EstimatingTokenizer(),
        all_paths=["pkg/ledger.py", "pkg/tests/test_ledger.py"],
    )
    ledger = context.files[0]
    assert not ledger.whole
    assert "import json" in ledger.text
    assert "def settle_balance(self, amount):" in ledger.text
    assert "class Ledger:" in ledger.text  # the method is shown under its class
    assert "def unrelated_150" not in ledger.text
    assert context.tokens <= 1_500


def test_the_test_covering_the_top_file_comes_last(repo):
    context = pack_context(
        repo,
        ["pkg/ledger.py", "pkg/small.py"],
        ISSUE,
        4_000,
        EstimatingTokenizer(),
        all_paths=["pkg/ledger.py", "pkg/small.py", "pkg/tests/test_ledger.py"],
    )
    assert [f.path for f in context.files][-1] == "pkg/tests/test_ledger.py"
    assert context.files[-1].role == ContextRole.TEST


def test_binary_files_are_left_out(repo):
    context = pack_context(
        repo, ["pkg/logo.png", "pkg/small.py"], ISSUE, 5_000, EstimatingTokenizer()
    )
    assert [f.path for f in context.files] == ["pkg/small.py"]
    assert "pkg/logo.png" in context.omitted


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(budget=st.integers(min_value=0, max_value=6_000))
def test_any_budget_is_respected(tmp_path_factory, budget):
    root = write_tree(
        tmp_path_factory.mktemp("repo"),
        {
            "pkg/ledger.py": big_module(60),
            "pkg/small.py": SMALL,
            "pkg/tests/test_ledger.py": "def test_settle():\n    assert True\n",
        },
    )
    tokenizer = EstimatingTokenizer()
    context = pack_context(
        root,
        ["pkg/ledger.py", "pkg/small.py"],
        ISSUE,
        budget,
        tokenizer,
        all_paths=["pkg/ledger.py", "pkg/small.py", "pkg/tests/test_ledger.py"],
    )
    assert context.tokens <= budget
    assert context.tokens == (tokenizer.count_tokens(context.text) if context.text else 0)


def test_the_same_input_gives_the_same_text(repo):
    ranked = ["pkg/ledger.py", "pkg/small.py"]
    texts = {pack_context(repo, ranked, ISSUE, 2_000, EstimatingTokenizer()).text for _ in range(3)}
    assert len(texts) == 1


def test_a_huge_file_is_still_packed_within_budget(tmp_path):
    huge = "import sys\n" + "".join(
        f"def f{i}():\n    return '{'x' * 90}'\n\n" for i in range(12_000)
    )
    huge += "def settle_balance():\n    return sys.maxsize\n"
    write_tree(tmp_path, {"huge.py": huge})
    assert len(huge) > 1 << 20
    context = pack_context(tmp_path, ["huge.py"], ISSUE, 800, EstimatingTokenizer())
    assert context.tokens <= 800
    assert context.files and "import sys" in context.text


def test_a_file_that_does_not_parse_is_sliced_by_line_windows(tmp_path):
    text = "\n".join(
        ["@@ weird syntax ((("] * 400 + ["settle_balance is computed here"] + ["x"] * 400
    )
    write_tree(tmp_path, {"data.txt": text})
    context = pack_context(tmp_path, ["data.txt"], ISSUE, 600, EstimatingTokenizer())
    assert "settle_balance is computed here" in context.text
    assert context.tokens <= 600


def test_empty_inputs_give_an_empty_context(repo):
    assert pack_context(repo, [], ISSUE, 1_000, EstimatingTokenizer()).text == ""
    empty = pack_context(repo, ["pkg/small.py"], IssueEvidence(), 0, EstimatingTokenizer())
    assert empty.files == () and empty.tokens == 0 and empty.omitted == ("pkg/small.py",)


def test_test_files_are_found_by_name_nearest_first():
    paths = [
        "src/app/models.py",
        "tests/test_models.py",
        "src/app/tests/test_models.py",
        "web/user.ts",
        "web/user.test.ts",
        "cmd/run.go",
        "cmd/run_test.go",
    ]
    assert find_test_file("src/app/models.py", paths) == "src/app/tests/test_models.py"
    assert find_test_file("web/user.ts", paths) == "web/user.test.ts"
    assert find_test_file("cmd/run.go", paths) == "cmd/run_test.go"
    assert find_test_file("src/app/views.py", paths) is None


def test_budgets_hold_with_the_model_server_s_own_token_counts(repo):
    from tests.fakes.model_server import ScriptedModelServer
    from workers.model.tokenizer import VllmTokenizer

    with ScriptedModelServer() as server:
        tokenizer = VllmTokenizer(server.base_url, server.model)
        for budget in (150, 700, 3_000):
            context = pack_context(
                repo, ["pkg/ledger.py", "pkg/small.py"], ISSUE, budget, tokenizer
            )
            assert 0 < context.tokens <= budget
            assert context.tokens == tokenizer.count_tokens(context.text)
        tokenizer.close()
        assert {r.path for r in server.requests} == {"/tokenize"}


def test_the_covering_test_is_found_in_the_tree_when_no_paths_are_given(repo):
    context = pack_context(repo, ["pkg/ledger.py"], ISSUE, 4_000, EstimatingTokenizer())
    assert [f.path for f in context.files] == ["pkg/ledger.py", "pkg/tests/test_ledger.py"]


def test_a_line_the_issue_points_at_chooses_what_a_big_file_shows(repo):
    # No name from the file in the text: only the traceback frame's line says where to look.
    lines = big_module().splitlines()
    target = next(n for n, line in enumerate(lines, 1) if "def unrelated_150(" in line)
    text = (
        "It crashes\nTraceback (most recent call last):\n"
        f'  File "/srv/app/pkg/ledger.py", line {target + 1}, in unrelated_150\n'
        "TypeError: boom\n"
    )
    issue = read_in(repo, text)
    assert issue.pointed_lines("pkg/ledger.py") == {target + 1}
    context = pack_context(repo, ["pkg/ledger.py"], issue, 600, EstimatingTokenizer())
    [block] = [f for f in context.files if f.path == "pkg/ledger.py"]
    assert not block.whole
    assert any(start <= target + 1 <= end for start, end in block.spans)
    without = pack_context(repo, ["pkg/ledger.py"], IssueEvidence(), 600, EstimatingTokenizer())
    assert not any(
        start <= target + 1 <= end for f in without.files for start, end in f.spans if not f.whole
    )


def test_budgets_hold_when_one_file_is_far_denser_than_the_measured_mix(tmp_path):
    """Estimates scale from one measurement of all candidates; a file of punctuation (a token
    per character for the fake's tokenizer) among wordy code makes them fall short, and the
    measured assembly still never exceeds the budget."""
    from tests.fakes.model_server import ScriptedModelServer
    from workers.model.tokenizer import VllmTokenizer

    wordy = "".join(
        f"def extraordinarily_long_function_name_{n}(parameter_value):\n"
        f"    return parameter_value\n\n"
        for n in range(120)
    )
    dense = "".join(f"x[{n}]=({n},{n},{n},{n});\n" for n in range(300))
    root = write_tree(tmp_path, {"pkg/wordy.py": wordy, "pkg/dense.py": dense})
    with ScriptedModelServer() as server:
        tokenizer = VllmTokenizer(server.base_url, server.model)
        for budget in (500, 1_500, 4_000, 9_000):
            before = len(server.requests)
            context = pack_context(root, ["pkg/wordy.py", "pkg/dense.py"], ISSUE, budget, tokenizer)
            assert context.tokens <= budget
            assert context.tokens == (tokenizer.count_tokens(context.text) if context.text else 0)
            # One measurement, then one count of the result per retreat (at most two here).
            assert len(server.requests) - before <= 4
        tokenizer.close()


def test_a_file_cut_to_parts_leaves_room_for_the_next_file_then_grows(tmp_path):
    # A large best-ranked file with many relevant units would take the whole budget as
    # parts; the small second file must still come in whole, and the large one keeps
    # growing into what is left.
    relevant = "\n".join(
        f"def settle_balance_{n}(amount):\n    return round(amount, {n})  # settle balance\n"
        for n in range(400)
    )
    small_text = "\n".join(f"def helper_{n}():\n    return {n}\n" for n in range(30))
    root = write_tree(tmp_path, {"pkg/big.py": relevant, "pkg/small.py": small_text})
    tokenizer = EstimatingTokenizer()
    ranked = ["pkg/big.py", "pkg/small.py"]
    greedy = pack_context(
        root, ranked, ISSUE, 4000, tokenizer, options=PackOptions(decays=None, partial_share=1.0)
    )
    assert [block.path for block in greedy.files] == ["pkg/big.py"]
    shared = pack_context(root, ranked, ISSUE, 4000, tokenizer)
    big, small = shared.files
    assert small.path == "pkg/small.py" and small.whole
    assert not big.whole and shared.tokens <= 4000
    # The second pass gave the big file back what the small one left.
    assert big.tokens > 0.7 * (4000 - small.tokens) * 0.9


def test_a_small_covering_test_leaves_the_rest_of_its_share_to_the_code(tmp_path):
    relevant = "\n".join(
        f"def settle_balance_{n}(amount):\n    return round(amount, {n})  # settle balance\n"
        for n in range(400)
    )
    files = {"pkg/big.py": relevant, "pkg/tests/test_big.py": "def test_it():\n    pass\n"}
    root = write_tree(tmp_path, files)
    context = pack_context(root, ["pkg/big.py"], ISSUE, 3000, EstimatingTokenizer(), list(files))
    code, test = context.files
    assert test.role == ContextRole.TEST and test.whole
    # The test needs far less than its 20% share: the code got more than the other 80%.
    assert code.tokens > 0.8 * 3000 and context.tokens <= 3000


def test_the_function_an_issue_names_in_a_later_file_is_shown_beside_huge_first_files(tmp_path):
    # The first four files match the issue's words everywhere and could fill any budget;
    # the fifth holds the function the issue names. Its best unit gets room.
    def noisy(tag: str) -> str:
        return "\n".join(
            f"def {tag}_settle_{n}(balance):\n    return balance  # settle balance rounds\n"
            for n in range(600)
        )

    ranked = [f"pkg/noisy{n}.py" for n in range(4)] + ["pkg/ledger.py"]
    files = {path: noisy(f"n{n}") for n, path in enumerate(ranked[:4])}
    root = write_tree(tmp_path, files | {"pkg/ledger.py": big_module()})
    before = pack_context(
        root, ranked, ISSUE, 6000, EstimatingTokenizer(), options=PackOptions(decays=None)
    )
    assert "def settle_balance(self, amount):" not in before.text
    context = pack_context(root, ranked, ISSUE, 6000, EstimatingTokenizer())
    assert "def settle_balance(self, amount):" in context.text
    assert "class Ledger:" in context.text  # the method's class header comes with it
    assert context.tokens <= 6000
    assert [block.path for block in context.files] == ranked  # rank order kept in the prompt


def test_cut_files_grow_into_the_room_the_estimates_headroom_left(tmp_path):
    relevant = "\n".join(
        f"def settle_balance_{n}(amount):\n    return round(amount, {n})  # settle balance\n"
        for n in range(400)
    )
    root = write_tree(tmp_path, {"pkg/big.py": relevant})
    tokenizer = EstimatingTokenizer()
    planned = pack_context(
        root, ["pkg/big.py"], ISSUE, 3000, tokenizer, options=PackOptions(top_up=False)
    )
    topped = pack_context(root, ["pkg/big.py"], ISSUE, 3000, tokenizer)
    # Planned with 10% headroom, the section leaves room; measured, it is used.
    assert planned.tokens < 0.9 * 3000
    assert 0.94 * 3000 <= topped.tokens <= 3000
    assert topped.tokens == tokenizer.count_tokens(topped.text)
    assert set(planned.files[0].spans) < set(topped.files[0].spans) or (
        topped.files[0].spans[-1][1] > planned.files[0].spans[-1][1]
    )
