"""The verifier in a repository's test environment: counts when it builds, a plain reason when not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.wheels import make_wheel
from workers.environments.cache import EnvironmentCache
from workers.environments.plan import IndexSettings
from workers.environments.provider import environment_for
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.port import Limits

SOURCE = "import tinydep\n\ndef double(x):\n    return x * tinydep.FACTOR\n"
TEST = "from calc import double\n\ndef test_double():\n    assert double(2) == 4\n"
NEW_TEST = TEST + "\ndef test_double_zero():\n    assert double(0) == 0 and double(3) == 6\n"


def tree(root: Path, requirements: str) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "requirements-test.txt").write_text(requirements)
    (root / "calc.py").write_text(SOURCE.replace("x * tinydep.FACTOR", "x + x if x else 1"))
    (root / "tests" / "test_calc.py").write_text(TEST)
    return root


def verifier(bwrap_sandbox, tmp_path: Path) -> Verifier:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinydep", "1.0", {"tinydep/__init__.py": "FACTOR = 2\n"})
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox)
    provider = environment_for(cache, index=IndexSettings(find_links=(str(wheels),), no_index=True))
    return Verifier(bwrap_sandbox, Limits(wall_seconds=120), environment=provider)


def test_a_fix_that_needs_the_package_is_verified_with_counts(bwrap_sandbox, tmp_path):
    root = tree(tmp_path / "repo", "tinydep\n")
    changes = {"calc.py": SOURCE, "tests/test_calc.py": NEW_TEST}
    paths = ["calc.py", "tests/test_calc.py", "requirements-test.txt"]
    result = verifier(bwrap_sandbox, tmp_path).verify(root, paths, changes)
    assert result.ran, result.reason
    assert (result.before.passed, result.before.failed) == (1, 1)
    assert (result.after.passed, result.after.failed) == (2, 0)
    assert result.reproducing == ("tests/test_calc.py::test_double_zero",)
    assert result.environment is not None and not result.environment.reused
    assert "- Test environment: `" in result.render_markdown()


def test_a_build_that_fails_leaves_the_fix_unverified_with_the_reason(bwrap_sandbox, tmp_path):
    root = tree(tmp_path / "repo", "tinydep\nmissing-dependency>=1\n")
    changes = {"calc.py": SOURCE}
    result = verifier(bwrap_sandbox, tmp_path).verify(root, ["calc.py", "tests/test_calc.py"], changes)
    assert not result.ran
    assert result.reason.startswith(
        "the test environment could not be built: `uv pip install -r requirements-test.txt` failed:"
    )
    assert "missing-dependency" in result.reason
    assert "Nothing was run: the test environment could not be built" in result.render_markdown()
    assert result.summary().startswith("Not run: the test environment could not be built")


def test_tests_that_cannot_import_on_the_newest_python_fall_back_to_an_older_one(bwrap_sandbox, tmp_path):
    from workers.environments.interpreters import find_interpreters

    minors = {tuple(int(x) for x in i.minor.split(".")) for i in find_interpreters()}
    if not any(m >= (3, 12) for m in minors) or not any((3, 7) <= m < (3, 12) for m in minors):
        pytest.skip("needs a Python >= 3.12 and one older on this machine")
    root = tree(tmp_path / "repo", "tinydep\n")
    # asynchat left the standard library in 3.12: collection fails there, not on 3.11.
    (root / "tests" / "test_calc.py").write_text("import asynchat  # noqa\n" + TEST)
    changes = {"calc.py": SOURCE}
    result = verifier(bwrap_sandbox, tmp_path).verify(root, ["calc.py", "tests/test_calc.py"], changes)
    assert result.ran, result.reason
    assert (result.after.passed, result.after.failed) == (1, 0)
    assert tuple(int(x) for x in result.environment.python.split(".")[:2]) < (3, 12)
