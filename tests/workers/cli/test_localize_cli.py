import json
import subprocess
import sys

from tests.workers.pipeline.context.localize.trees import write_tree
from workers.cli import main


def make_repo(tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            "pkg/config.py": "def load_config(path):\n    return open(path).read()\n",
            "pkg/server.py": "def serve(port):\n    return port\n",
            "tests/test_config.py": "def test_load_config():\n    pass\n",
        },
    )
    issue = tmp_path / "issue.md"
    issue.write_text("load_config crashes on an empty file\nCalling `load_config('')` raises.\n")
    return root, issue


def test_prints_a_json_array_of_repo_relative_paths(tmp_path, capsys):
    root, issue = make_repo(tmp_path)
    assert main(["localize", "--root", str(root), "--issue-file", str(issue), "--top-k", "2"]) == 0
    paths = json.loads(capsys.readouterr().out)
    assert paths[0] == "pkg/config.py" and len(paths) <= 2


def test_top_k_zero_prints_an_empty_array(tmp_path, capsys):
    root, issue = make_repo(tmp_path)
    assert main(["localize", "--root", str(root), "--issue-file", str(issue), "--top-k", "0"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_unusable_inputs_exit_2_with_a_reason(tmp_path, capsys):
    root, issue = make_repo(tmp_path)
    assert main(["localize", "--root", str(tmp_path / "nope"), "--issue-file", str(issue)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["localize", "--root", str(root), "--issue-file", str(tmp_path / "none.md")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["localize", "--root", str(root), "--issue-file", str(issue), "--top-k", "-1"]) == 2


def test_the_installed_command_prints_only_the_array(tmp_path):
    root, issue = make_repo(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workers.cli",
            "localize",
            "--root",
            str(root),
            "--issue-file",
            str(issue),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout)[0] == "pkg/config.py"
    assert done.stdout.count("\n") == 1
