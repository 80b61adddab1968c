"""Per-package verification in the real sandbox: the touched packages' commands, each from its folder."""

from __future__ import annotations

from pathlib import Path

from tests.support.wheels import make_wheel
from workers.environments.cache import EnvironmentCache
from workers.environments.plan import IndexSettings
from workers.environments.provider import environment_for
from workers.pipeline.verify.packages import PackageVerifier, package_of
from workers.pipeline.verify.plan import TestSettings
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.port import Limits


def make_tree(root: Path) -> Path:
    files = {
        "a/lib.py": "VALUE = 1\n",
        "a/check.py": "import lib\nassert lib.VALUE == 2\n",
        "b/lib.py": "VALUE = 1\n",
        "b/check.py": "import lib\nassert lib.VALUE == 1\n",
        "top.py": "X = 1\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


TABLE = {"a": TestSettings("python3 check.py", (), 60), "b": TestSettings("python3 check.py", (), 60)}


def test_package_of_picks_the_nearest_folder() -> None:
    assert package_of("a/x/y.py", ["a", "a/x"]) == "a/x"
    assert package_of("c/y.py", ["a"]) == ""


def test_two_touched_packages_each_run_their_command(tmp_path: Path, bwrap_sandbox) -> None:
    root = make_tree(tmp_path / "repo")
    verifier = PackageVerifier(
        Verifier(bwrap_sandbox, Limits(wall_seconds=60), TestSettings("exit 9")), lambda tree: TABLE
    )
    changes = {"a/lib.py": "VALUE = 2\n", "b/lib.py": "VALUE = 1\n\n"}
    result = verifier.verify(root, ["a/lib.py", "b/lib.py"], changes)
    assert result.ran
    assert result.packages == (("a", "python3 check.py"), ("b", "python3 check.py"))
    assert (result.before.passed, result.before.failed) == (1, 1)  # a fails before its fix
    assert (result.after.passed, result.after.failed) == (2, 0)
    assert "exit 9" not in result.command  # the root's command: nothing of the root was touched


def test_only_the_touched_package_runs(tmp_path: Path, bwrap_sandbox) -> None:
    root = make_tree(tmp_path / "repo")
    verifier = PackageVerifier(Verifier(bwrap_sandbox, Limits(wall_seconds=60)), lambda tree: TABLE)
    result = verifier.verify(root, ["b/lib.py"], {"b/lib.py": "VALUE = 1  # same\n"})
    assert result.packages == (("b", "python3 check.py"),)
    markdown = result.render_markdown()
    assert "Package `b/`: `python3 check.py`, run in that folder" in markdown


def test_a_package_builds_its_environment_from_its_own_folder(tmp_path: Path, bwrap_sandbox) -> None:
    """The package's dependency file is in its folder, not at the root: the environment is
    derived from there and its command runs there with the package installed."""
    root = tmp_path / "repo"
    files = {
        "services/billing/requirements-test.txt": "tinydep\n",
        "services/billing/billing.py": "import tinydep\n\ndef total(x):\n    return x * tinydep.FACTOR + 1\n",
        "services/billing/check.py": "from billing import total\nassert total(2) == 4, total(2)\n",
        "README.md": "# mono\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinydep", "1.0", {"tinydep/__init__.py": "FACTOR = 2\n"})
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox)
    provider = environment_for(cache, index=IndexSettings(find_links=(str(wheels),), no_index=True))
    verifier = PackageVerifier(
        Verifier(bwrap_sandbox, Limits(wall_seconds=120), environment=provider),
        lambda tree: {"services/billing": TestSettings("python check.py", (), 120)},
    )
    fix = {"services/billing/billing.py": "import tinydep\n\ndef total(x):\n    return x * tinydep.FACTOR\n"}
    result = verifier.verify(root, list(files), fix)
    assert result.ran, result.reason
    assert result.packages == (("services/billing", "python check.py"),)
    assert (result.before.failed, result.after.passed) == (1, 1), result.output
    assert result.environment is not None
