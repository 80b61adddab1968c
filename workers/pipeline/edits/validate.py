"""Checking that changed files still parse, counting only the syntax errors an edit introduced."""

from __future__ import annotations

import ast
import json
import re
import tomllib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

import yaml

from workers.pipeline.edits.grammars import TreeSitterCheck, load_tree_sitter, tree_sitter_language

_AT_LINE = re.compile(r"at line (\d+), column (\d+)")


class Change(Protocol):
    path: str
    old: bytes | None
    new: bytes | None


@dataclass(frozen=True)
class SyntaxIssue:
    """One syntax error that the edit introduced, where the model can find it."""

    path: str
    line: int
    column: int
    message: str
    checker: str


@dataclass
class ValidationReport:
    issues: list[SyntaxIssue] = field(default_factory=list)
    # Files whose language has no parser available here (path, why); never a failure.
    unchecked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def as_dicts(self) -> list[dict[str, object]]:
        return [asdict(issue) for issue in self.issues]

    def render_for_model(self) -> str:
        """The feedback for the one repair round: each error with its file and line."""
        return "\n".join(
            f"{issue.path}:{issue.line}:{issue.column}: {issue.message} ({issue.checker})"
            for issue in self.issues
        )


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _python_error(source: bytes) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(source)
    except SyntaxError as error:
        return error
    except ValueError as error:  # NUL bytes and other unparsable input
        return SyntaxError(str(error))
    return None


def _data_error(loader: Callable[[str], object]) -> Callable[[bytes], SyntaxError | None]:
    def check(source: bytes) -> SyntaxError | None:
        try:
            loader(_decode(source))
        except (ValueError, yaml.YAMLError) as error:
            found = SyntaxError(str(error).splitlines()[0] if str(error) else type(error).__name__)
            mark = getattr(error, "problem_mark", None)
            # tomllib (before 3.14) only says where in its message.
            where = _AT_LINE.search(str(error))
            found.lineno = (
                getattr(error, "lineno", None)
                or (mark.line + 1 if mark else None)
                or (int(where.group(1)) if where else 0)
            )
            found.offset = (
                getattr(error, "colno", None)
                or (mark.column + 1 if mark else None)
                or (int(where.group(2)) if where else 0)
            )
            return found
        return None

    return check


_DATA_CHECKS: dict[str, Callable[[bytes], SyntaxError | None]] = {
    ".json": _data_error(json.loads),
    ".toml": _data_error(tomllib.loads),
    ".yaml": _data_error(lambda text: list(yaml.safe_load_all(text))),
    ".yml": _data_error(lambda text: list(yaml.safe_load_all(text))),
}


def _issue(path: str, error: SyntaxError, checker: str) -> SyntaxIssue:
    return SyntaxIssue(path, error.lineno or 0, error.offset or 0, error.msg or str(error), checker)


def _check_with_tree_sitter(change: Change, language: str, report: ValidationReport) -> None:
    checker: TreeSitterCheck | None = load_tree_sitter(language)
    if checker is None:
        report.unchecked.append(
            (change.path, f"no tree-sitter grammar for {language} is available offline")
        )
        return
    report.issues.extend(
        SyntaxIssue(change.path, line, column, message, f"tree-sitter {language}")
        for line, column, message in checker.new_errors(change.old or b"", change.new or b"")
    )


def _validate_one(change: Change, report: ValidationReport) -> None:
    if change.new is None:
        return
    suffix = PurePosixPath(change.path).suffix.lower()
    if suffix in (".py", ".pyi"):
        error = _python_error(change.new)
        if error is None:
            return
        if change.old is None or _python_error(change.old) is None:
            report.issues.append(_issue(change.path, error, "python ast"))
            return
        # The file did not parse before either (Python 2 code, say): compare the error
        # nodes tree-sitter finds, which also reads Python 2, before and after.
        _check_with_tree_sitter(change, "python", report)
        return
    if suffix in _DATA_CHECKS:
        check = _DATA_CHECKS[suffix]
        error = check(change.new)
        if error is not None and (change.old is None or check(change.old) is None):
            report.issues.append(_issue(change.path, error, suffix.lstrip(".")))
        return
    language = tree_sitter_language(change.path)
    if language is not None:
        _check_with_tree_sitter(change, language, report)


def validate_changes(changes: Sequence[Change]) -> ValidationReport:
    """Syntax errors that exist after the changes and did not exist before them."""
    report = ValidationReport()
    for change in changes:
        _validate_one(change, report)
    return report
