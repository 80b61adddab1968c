"""The install plan comes from the repository's own files, each line with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from workers.environments.interpreters import Interpreter
from workers.environments.plan import EnvironmentSettings, IndexSettings, derive_plan

PYTHONS = [
    Interpreter(f"3.{minor}.1", Path(f"/opt/py3{minor}/bin/python3.{minor}"), Path(f"/opt/py3{minor}"))
    for minor in (13, 12, 11, 10, 9, 8)
]


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def lines(plan) -> list[str]:
    return plan.render().splitlines()


def test_pyproject_extras_and_dependency_groups(tmp_path):
    root = write(tmp_path, {
        "pyproject.toml": """
[project]
name = "demo"
requires-python = ">=3.9,<3.12"
classifiers = ["Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.10"]
[project.optional-dependencies]
test = ["pytest>=7"]
docs = ["sphinx"]
[dependency-groups]
dev = ["hypothesis", {include-group = "lint"}]
lint = ["ruff"]
""",
    })
    plan = derive_plan(root, interpreters=PYTHONS)
    assert [s.args for s in plan.steps] == [("-e", ".[test]"), ("hypothesis", "ruff")]
    assert "extras test from pyproject.toml [project.optional-dependencies]" in plan.steps[0].reason
    assert plan.steps[1].reason == "from pyproject.toml [dependency-groups] dev"
    # pytest is named by the project: not added again.
    assert not any("the test runner" in s.reason for s in plan.steps)
    assert plan.interpreter.minor == "3.10"
    assert "classifiers" in plan.interpreter_reason and ">=3.9,<3.12" in plan.interpreter_reason
    assert plan.declared


def test_requirements_files_and_setup_cfg(tmp_path):
    root = write(tmp_path, {
        "setup.cfg": "[metadata]\nname = demo\n[options]\npython_requires = >=3.8\n"
                     "[options.extras_require]\ntesting = mock\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
        "requirements-dev.txt": "flake8\n",
        "requirements/test.txt": "pytest-mock\n",
        "requirements/tests-min.txt": "pytest-mock==1.0\n",
        "requirements/docs.txt": "sphinx\n",
        "tox.ini": "[tox]\nenvlist = py38, py39\n[testenv]\ndeps = -r{toxinidir}/requirements/test.txt\n",
    })
    plan = derive_plan(root, interpreters=PYTHONS)
    args = [s.args for s in plan.steps]
    # The file named only "test" wins over partial names and dev files; tox adds nothing new.
    assert args == [("-e", ".[testing]"), ("-r", "requirements/test.txt"), ("pytest",)]
    assert "setup.cfg [options.extras_require]" in plan.steps[0].reason
    assert plan.interpreter.minor == "3.9"  # newest named in tox's envlist


def test_tox_deps_when_no_requirements_file_says_more(tmp_path):
    root = write(tmp_path, {
        "setup.py": "from setuptools import setup\nsetup(python_requires='>=3.8')\n",
        "requirements/base.txt": "six\n",
        "tox.ini": "[tox]\nenvlist = py38\n[testenv]\ndeps =\n  pytest\n  py38: mock\n"
                   "  dev: https://example.invalid/x.tar.gz\n  -r{toxinidir}/requirements/base.txt\n",
    })
    plan = derive_plan(root, interpreters=PYTHONS)
    assert [s.args for s in plan.steps] == [("-e", "."), ("pytest", "-r", "requirements/base.txt")]
    assert any(line.endswith("# from tox.ini [testenv] deps") for line in lines(plan))
    assert plan.interpreter.minor == "3.8" and "setup.py python_requires >=3.8" in plan.interpreter_reason


def test_workflow_pip_lines_are_a_hint_when_nothing_else_says(tmp_path):
    root = write(tmp_path, {
        ".github/workflows/ci.yml": """
jobs:
  test:
    strategy:
      matrix:
        python-version: ["3.8", "3.11"]
    steps:
      - run: python -m pip install --upgrade pip
      - run: pip install -r ci-reqs.txt freezegun
""",
        "ci-reqs.txt": "pytest\n",
    })
    plan = derive_plan(root, interpreters=PYTHONS)
    assert [s.args for s in plan.steps] == [("-r", "ci-reqs.txt", "freezegun")]
    assert "a hint from .github/workflows/ci.yml" in plan.steps[0].reason
    assert plan.interpreter.minor == "3.11"


def test_nothing_declared_installs_only_the_runner(tmp_path):
    root = write(tmp_path, {"test_x.py": "def test_x():\n    pass\n"})
    plan = derive_plan(root, interpreters=PYTHONS)
    assert [s.args for s in plan.steps] == [("pytest",)]
    assert not plan.declared
    assert derive_plan(root, interpreters=PYTHONS, index=IndexSettings(no_index=True)).steps == ()


def test_settings_replace_the_derived_lines(tmp_path):
    root = write(tmp_path, {"requirements-test.txt": "pytest\n"})
    settings = EnvironmentSettings(python="3.8", install=("-e .[all]",), packages=("pytest-timeout",),
                                   commands=("python setup.py build_ext --inplace",))
    plan = derive_plan(root, settings, interpreters=PYTHONS)
    assert [s.args for s in plan.steps] == [("-e", ".[all]"), ("pytest-timeout",), ("pytest",)]
    assert plan.interpreter.minor == "3.8"
    assert lines(plan)[-2] == "python setup.py build_ext --inplace  # from .github/iquest.yml environment.commands"
    missing = derive_plan(root, EnvironmentSettings(python="3.7"), interpreters=PYTHONS)
    assert missing.interpreter is None and "asks for Python 3.7" in missing.interpreter_reason


def test_the_key_follows_the_dependency_files_not_the_code(tmp_path):
    root = write(tmp_path, {"requirements-test.txt": "requests\n", "app.py": "x = 1\n"})
    first = derive_plan(root, interpreters=PYTHONS).key
    (root / "app.py").write_text("x = 2\n")
    assert derive_plan(root, interpreters=PYTHONS).key == first
    (root / "requirements-test.txt").write_text("requests==2.0\n")
    changed = derive_plan(root, interpreters=PYTHONS).key
    assert changed != first
    assert derive_plan(root, interpreters=PYTHONS[1:]).key != changed  # another interpreter


def test_an_old_commit_gets_an_interpreter_and_packages_of_its_time(tmp_path):
    root = write(tmp_path, {"pyproject.toml": "[project]\nname='d'\nrequires-python='>=3.6'\n"})
    plan = derive_plan(root, interpreters=PYTHONS, commit_date=datetime(2021, 3, 1, tzinfo=UTC))
    assert plan.exclude_newer == "2021-03-01"
    assert plan.install_args()[:2] == ["--exclude-newer", "2021-03-01"]
    assert plan.interpreter.minor == "3.8"  # 3.9 came out less than half a year before
    assert "released before the commit" in plan.interpreter_reason
    # Build backends are held to no date before editable installs existed (setuptools 64).
    assert "setuptools=2022-09-01" in plan.install_args()
    older = derive_plan(root, interpreters=PYTHONS, commit_date=datetime(2014, 7, 1, tzinfo=UTC))
    assert older.interpreter.minor == "3.8" and "predates every Python here" in older.interpreter_reason


def test_a_package_of_a_monorepo_keeps_paths_relative_to_the_tree(tmp_path):
    root = write(tmp_path, {
        "packages/api/pyproject.toml": "[project]\nname='api'\n[project.optional-dependencies]\ntest=['pytest']\n",
        "packages/api/requirements-test.txt": "httpx\n",
        "packages/web/requirements-test.txt": "flask\n",
    })
    plan = derive_plan(root, interpreters=PYTHONS, package="packages/api")
    assert [s.args for s in plan.steps] == [("-e", "./packages/api[test]"), ("-r", "./packages/api/requirements-test.txt")]
    assert [path for path, _ in plan.inputs] == ["packages/api/pyproject.toml", "packages/api/requirements-test.txt"]
    assert plan.key != derive_plan(root, interpreters=PYTHONS, package="packages/web").key


def test_a_project_versioned_by_git_tags_gets_a_version_from_its_changelog(tmp_path):
    root = write(tmp_path, {
        "pyproject.toml": "[build-system]\nrequires = ['setuptools', 'setuptools_scm']\n[project]\nname = 'demo'\n",
        "CHANGELOG.rst": "Changes\n=======\n\nv2.3.1 (2021-01-01)\n-------------------\n- fix\n\nv2.3.0\n------\n",
    })
    plan = derive_plan(root, interpreters=PYTHONS)
    assert plan.scm_version == "2.3.1"
    assert "SETUPTOOLS_SCM_PRETEND_VERSION=2.3.1  # no git metadata in the tree: the newest release in CHANGELOG.rst" \
        in plan.render()
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 2.4.0.dev3\n")
    assert derive_plan(root, interpreters=PYTHONS).scm_version == "2.4.0.dev3"
    plain = write(tmp_path / "plain", {"pyproject.toml": "[project]\nname = 'p'\nversion = '1.0'\n"})
    assert derive_plan(plain, interpreters=PYTHONS).scm_version == ""


def test_the_commit_date_from_git_or_from_a_tarball_s_file_times(tmp_path):
    import os
    import subprocess

    from workers.environments.provider import tree_date

    tarball = write(tmp_path / "tarball", {"a.py": "x = 1\n", "b/c.py": "y = 2\n", "setup.py": ""})
    stamp = datetime(2019, 5, 17, 12, 0, tzinfo=UTC).timestamp()
    for path in tarball.rglob("*"):
        os.utime(path, (stamp, stamp))
    assert tree_date(tarball) == datetime(2019, 5, 17, 12, 0, tzinfo=UTC)
    clone = write(tmp_path / "clone", {"a.py": "x = 1\n"})
    env = {**os.environ, "GIT_COMMITTER_DATE": "2016-02-03T04:05:06+00:00", "GIT_AUTHOR_DATE": "2016-02-03T04:05:06+00:00"}
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(clone), *args], check=True, env=env)
    assert tree_date(clone) == datetime(2016, 2, 3, 4, 5, 6, tzinfo=UTC)
