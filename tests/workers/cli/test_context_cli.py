import json
import socket
import subprocess
import sys

import pytest

from tests.fakes.model_server import ScriptedModelServer, count_fake_tokens
from tests.workers.pipeline.context.localize.trees import write_tree
from workers.cli import main
from workers.model.tokenizer import EstimatingTokenizer


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the model server is absent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def ledger_module(separator: str = "\n", form_feeds: bool = False) -> str:
    """A module far over a small budget with one function the issue names."""
    parts = ["import json", ""]
    for index in range(150):
        if form_feeds and index % 10 == 0:
            parts.append("\f")  # pages, as GNU-style sources mark them
        parts += [f"def unrelated_{index}(value):", f"    return json.dumps([value, {index}])", ""]
    parts += ["def settle_balance(amount):", "    return round(amount, 1)", ""]
    parts += [f"def trailing_{index}():\n    return {index}\n" for index in range(60)]
    return separator.join(parts)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("IQUEST_MODEL_BASE_URL", closed_port_url())


def make_repo(tmp_path, ledger: str):
    root = write_tree(
        tmp_path / "repo",
        {
            "pkg/small.py": "def helper():\n    return 1\n",
            "pkg/tests/test_ledger.py": "from pkg.ledger import settle_balance\n\n\n"
            "def test_settle():\n    assert settle_balance(1.25) == 1.25\n",
        },
    )
    (root / "pkg" / "ledger.py").write_bytes(ledger.encode())
    issue = tmp_path / "issue.md"
    issue.write_text("settle_balance rounds wrongly\n`settle_balance(1.25)` gives 1.2 in pkg/ledger.py\n")
    return root, issue


def context(root, issue, budget: int, *extra: str) -> list[str]:
    return ["context", "--root", str(root), "--issue-file", str(issue), "--budget", str(budget), *extra]


def assert_spans_are_the_files_lines(root, report: dict, text: str) -> None:
    """Every reported line is in the printed section, numbered as the file's "\\n"-split line."""
    for entry in report["files"]:
        lines = (root / entry["path"]).read_bytes().decode().split("\n")
        for start, end in entry["spans"]:
            assert 1 <= start <= end <= len(lines)
            for number in range(start, end + 1):
                assert f"{number:6d}\t{lines[number - 1].removesuffix(chr(13))}\n" in text


def test_json_reports_tokens_and_whole_files_as_one_span(tmp_path, capsys, offline):
    root, issue = make_repo(tmp_path, "def settle_balance(amount):\n    return round(amount, 1)\n")
    assert main(context(root, issue, 4000, "--json")) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    files = {entry["path"]: entry["spans"] for entry in report["files"]}
    assert files["pkg/ledger.py"] == [[1, 2]]
    assert files["pkg/tests/test_ledger.py"] == [[1, 5]]
    assert 0 < report["tokens"] <= 4000
    assert "tokens estimated" in captured.err


def test_the_printed_section_is_what_the_json_describes(tmp_path, capsys, offline):
    root, issue = make_repo(tmp_path, ledger_module())
    assert main(context(root, issue, 700, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(context(root, issue, 700)) == 0
    text = capsys.readouterr().out
    assert report["tokens"] == EstimatingTokenizer().count_tokens(text) <= 700
    [ledger] = [entry for entry in report["files"] if entry["path"] == "pkg/ledger.py"]
    assert len(ledger["spans"]) > 1, "the big file is sliced"
    assert "def settle_balance(amount):" in text
    assert_spans_are_the_files_lines(root, report, text)


@pytest.mark.parametrize(
    "ledger",
    [ledger_module(form_feeds=True), ledger_module("\r\n"), ledger_module(form_feeds=True) + "x = 1"],
    ids=["form-feeds", "crlf", "no-final-newline"],
)
def test_spans_count_lines_split_on_newline_only(tmp_path, capsys, offline, ledger):
    root, issue = make_repo(tmp_path, ledger)
    assert main(context(root, issue, 700, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(context(root, issue, 700)) == 0
    text = capsys.readouterr().out
    assert_spans_are_the_files_lines(root, report, text)
    target = ledger.split("\n").index("def settle_balance(amount):" + ("\r" if "\r\n" in ledger else "")) + 1
    [spans] = [entry["spans"] for entry in report["files"] if entry["path"] == "pkg/ledger.py"]
    assert any(start <= target <= end for start, end in spans)
    whole = json.loads(_run_json(root, issue, 100_000))
    [whole_spans] = [e["spans"] for e in whole["files"] if e["path"] == "pkg/ledger.py"]
    assert whole_spans == [[1, len(ledger.removesuffix("\n").split("\n"))]]


def _run_json(root, issue, budget: int) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", *context(root, issue, budget, "--json")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"IQUEST_MODEL_BASE_URL": closed_port_url(), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.count("\n") == 1, "stdout is the one JSON line"
    assert "tokens estimated" in done.stderr
    return done.stdout


def test_counts_with_the_model_server_s_tokenize_when_it_answers(tmp_path, capsys, monkeypatch):
    root, issue = make_repo(tmp_path, ledger_module())
    with ScriptedModelServer() as server:
        monkeypatch.setenv("IQUEST_MODEL_BASE_URL", server.base_url)
        assert main(context(root, issue, 900)) == 0
        captured = capsys.readouterr()
        assert {request.path for request in server.requests} == {"/tokenize"}
    assert "counted by the model server's /tokenize" in captured.err
    assert 0 < count_fake_tokens(captured.out) <= 900


def test_unusable_inputs_exit_2_with_a_reason(tmp_path, capsys, offline):
    root, issue = make_repo(tmp_path, "x = 1\n")
    assert main(context(tmp_path / "nope", issue, 100)) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(context(root, tmp_path / "none.md", 100)) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(context(root, issue, -1)) == 2
    assert "zero or more" in capsys.readouterr().err


def test_an_empty_tree_gives_an_empty_context(tmp_path, capsys, offline):
    (tmp_path / "empty").mkdir()
    issue = tmp_path / "issue.md"
    issue.write_text("anything\n")
    assert main(context(tmp_path / "empty", issue, 1000, "--json")) == 0
    assert json.loads(capsys.readouterr().out) == {"tokens": 0, "files": []}


def test_narrowing_on_asks_the_model_and_keeps_the_output_contract(tmp_path, capsys, monkeypatch):
    from tests.fakes.model_server import ChatReply

    root, issue = make_repo(tmp_path, ledger_module())
    with ScriptedModelServer() as server:
        server.script(ChatReply("pkg/small.py"), ChatReply("pkg/small.py::helper"))
        monkeypatch.setenv("IQUEST_MODEL_BASE_URL", server.base_url)
        monkeypatch.setenv("IQUEST_MODEL", server.model)
        monkeypatch.setenv("IQUEST_CONTEXT_NARROWING", "true")
        assert main(context(root, issue, 3000, "--json")) == 0
        asked = server.chat_requests()
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert set(report) == {"tokens", "files"} and report["tokens"] <= 3000
    paths = [entry["path"] for entry in report["files"]]
    assert paths[0] == "pkg/ledger.py"  # the file the issue names stays first
    assert "pkg/small.py" in paths  # the model's pick is shown too
    assert len(asked) == 2 and "pkg/small.py" in asked[0].json["messages"][0]["content"]
    assert "narrowing on" in captured.err
