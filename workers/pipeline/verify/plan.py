"""What to run for a fix: the repository's own `test:` setting, or pytest on the related tests."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workers.environments.node import has_test_script
from workers.pipeline.context.covering_test import find_test_file
from workers.pipeline.context.localize.tree import FileKind, classify_path

PYTEST = "python3 -m pytest -q -rA -p no:cacheprovider --no-header -o addopts="


@dataclass(frozen=True)
class TestSettings:
    """`.github/iquest.yml`'s `test:` (command, setup commands, timeout), as the stage takes it."""

    __test__ = False  # not a pytest test class, despite the name

    command: str
    setup: tuple[str, ...] = ()
    timeout_seconds: int = 600


@dataclass(frozen=True)
class TestPlan:
    __test__ = False  # not a pytest test class, despite the name

    command: str
    setup: tuple[str, ...]
    timeout_seconds: int
    uses_shipped_pytest: bool
    new_test_files: tuple[str, ...]  # test files the fix adds or changes


def is_python_test(path: str) -> bool:
    return path.endswith(".py") and classify_path(path) == FileKind.TEST


def plan_tests(
    all_paths: Sequence[str],
    changes: Mapping[str, str | None],
    settings: TestSettings | None,
    default_timeout: int,
) -> TestPlan | str:
    """The plan, or why nothing will run."""
    new_tests = tuple(sorted(p for p, text in changes.items() if text is not None and is_python_test(p)))
    if settings is not None:
        return TestPlan(settings.command, settings.setup, settings.timeout_seconds, False, new_tests)
    if not any(is_python_test(p) for p in (*all_paths, *new_tests)):
        return "the repository has no Python tests and `.github/iquest.yml` sets no `test:` command"
    related = set(new_tests)
    for path in changes:
        if path.endswith(".py") and not is_python_test(path):
            test = find_test_file(path, all_paths)
            if test is not None:
                related.add(test)
    if not related:
        return "no test file relates to the change and the fix adds none"
    files = " ".join(shlex.quote(p) for p in sorted(related) if posixpath.basename(p))
    return TestPlan(f"{PYTEST} {files}", (), default_timeout, True, new_tests)


def node_test_plan(root: Path, default_timeout: int) -> TestPlan | None:
    """`npm test`, offline, for a Node repository with a lockfile and a test script."""
    if not (root / "package-lock.json").is_file() or not has_test_script(root):
        return None
    return TestPlan("npm test", (), default_timeout, False, ())
