"""Syntax validation of changed files: only errors the edit introduced count."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workers.pipeline.edits.grammars import load_tree_sitter
from workers.pipeline.edits.validate import validate_changes


@dataclass(frozen=True)
class Change:
    path: str
    old: bytes | None
    new: bytes | None


def test_python_syntax_error_introduced_is_reported_with_its_line():
    report = validate_changes(
        [Change("a.py", b"def f():\n    return 1\n", b"def f(:\n    return 1\n")]
    )
    assert not report.ok
    (issue,) = report.issues
    assert (issue.path, issue.line, issue.checker) == ("a.py", 1, "python ast")
    assert report.render_for_model().startswith("a.py:1:")
    assert report.as_dicts()[0]["path"] == "a.py"


def test_valid_python_and_deleted_files_pass():
    report = validate_changes(
        [Change("a.py", b"x = 1\n", b"x = 2\n"), Change("gone.py", b"x = 1\n", None)]
    )
    assert report.ok and report.issues == []


def test_new_python_file_with_an_error_is_reported():
    assert not validate_changes([Change("new.py", None, b"if True\n    pass\n")]).ok


def test_python_2_file_that_never_parsed_is_judged_by_tree_sitter():
    old = b'print "hello"\n\ndef f(x):\n    return x\n'
    fine = old.replace(b"return x", b"return x + 1")
    broken = old.replace(b"return x", b"return (x + 1")
    assert validate_changes([Change("py2.py", old, fine)]).ok
    report = validate_changes([Change("py2.py", old, broken)])
    assert [issue.checker for issue in report.issues] == ["tree-sitter python"]


def test_errors_already_in_the_file_do_not_count():
    old = b"function f( {\n  return 1;\n}\nconst a = 1;\n"
    new = old.replace(b"const a = 1;", b"const a = 2;")
    report = validate_changes([Change("app.js", old, new)])
    assert report.ok, report.issues


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("app.js", b"const a = 1;\n", b"const a = ;\n"),
        ("main.go", b"package main\n\nfunc main() {}\n", b"package main\n\nfunc main() {\n"),
        ("data.json", b'{"a": 1}\n', b'{"a": 1,}\n'),
        ("conf.toml", b"a = 1\n", b"a = \n"),
        ("conf.yaml", b"a: 1\n", b"a: [1\n"),
    ],
)
def test_other_languages_and_data_files(path, old, new):
    assert validate_changes([Change(path, old, old)]).ok
    report = validate_changes([Change(path, old, new)])
    assert not report.ok
    assert report.issues[0].line >= 1


def test_files_without_a_checker_are_listed_as_unchecked_or_skipped():
    report = validate_changes([Change("notes.txt", b"a\n", b"b\n")])
    assert report.ok and report.unchecked == []


def test_grammars_load_offline_and_unknown_ones_are_none():
    assert load_tree_sitter("python") is not None
    assert load_tree_sitter("no-such-language") is None
