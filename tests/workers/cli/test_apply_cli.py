"""`iquest apply`: the contract in DESIGN.md, run as the real command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workers.cli import main

ORIGINAL = "def greet(name):\n    return 'hi ' + name\n"
RESPONSE = (
    "## Root cause\nThe greeting lacks punctuation.\n\n"
    "greet.py\n```python\n<<<<<<< SEARCH\n    return 'hi ' + name\n=======\n"
    "    return 'hi ' + name + '!'\n>>>>>>> REPLACE\n```\n"
)


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "greet.py").write_text(ORIGINAL)
    response = tmp_path / "response.md"
    response.write_text(RESPONSE)
    return root, response


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "apply", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_apply_prints_the_diff_and_changes_the_file(work):
    root, response = work
    done = run_cli("--root", str(root), "--response", str(response))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("diff --git a/greet.py b/greet.py\n")
    assert "+    return 'hi ' + name + '!'" in done.stdout
    assert (root / "greet.py").read_text() == ORIGINAL.replace("name\n", "name + '!'\n")


def test_check_prints_the_diff_and_changes_nothing(work):
    root, response = work
    done = run_cli("--root", str(root), "--response", str(response), "--check")
    assert done.returncode == 0, done.stderr
    assert "+    return 'hi ' + name + '!'" in done.stdout
    assert (root / "greet.py").read_text() == ORIGINAL


def test_refusal_exits_non_zero_with_the_reason_and_changes_nothing(work):
    root, response = work
    response.write_text(
        RESPONSE + "\n../escape.py\n```python\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n```\n"
    )
    done = run_cli("--root", str(root), "--response", str(response))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "refused (unsafe_path)" in done.stderr and "../escape.py" in done.stderr
    assert "Traceback" not in done.stderr
    assert (root / "greet.py").read_text() == ORIGINAL
    assert not (root.parent / "escape.py").exists()


def test_edit_that_cannot_be_found_names_the_edit(work, capsys):
    root, response = work
    response.write_text(
        RESPONSE.replace("    return 'hi ' + name\n=", "    return 'hello ' + name\n=")
    )
    assert main(["apply", "--root", str(root), "--response", str(response)]) == 1
    err = capsys.readouterr().err
    assert "edit 1 (SEARCH/REPLACE block for greet.py" in err and "not in the file" in err


def test_syntax_errors_are_reported_and_refused_only_when_strict(work, capsys):
    root, response = work
    response.write_text(RESPONSE.replace("name + '!'", "name + '!"))
    args = ["apply", "--root", str(root), "--response", str(response)]
    assert main([*args, "--strict-syntax"]) == 3
    assert "greet.py:2:" in capsys.readouterr().err
    assert (root / "greet.py").read_text() == ORIGINAL
    assert main(args) == 0
    assert "warning: the edits introduce syntax errors" in capsys.readouterr().err


def test_bad_arguments(work, capsys):
    root, response = work
    assert main(["apply", "--root", str(root / "missing"), "--response", str(response)]) == 2
    assert main(["apply", "--root", str(root), "--response", str(root / "none.md")]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["apply", "--root", str(root)])
    assert usage.value.code == 2


def test_an_internal_error_is_a_refusal_not_a_traceback(work, capsys, monkeypatch):
    import workers.pipeline.edits.apply as apply_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(apply_module, "plan_edits", broken)
    root, response = work
    assert main(["apply", "--root", str(root), "--response", str(response)]) == 70
    assert "internal error, no file was changed: RuntimeError: boom" in capsys.readouterr().err
    assert (root / "greet.py").read_text() == ORIGINAL
