"""An instance's environment: the instance's override, else SWE-bench's per-version spec
(vendored data), mapped onto the install plan of workers/environments."""

from __future__ import annotations

import json
from pathlib import Path

from workers.evaluation.built_env import conda_dependencies, settings_for, split_install
from workers.evaluation.instances import parse_instance
from workers.evaluation.specs import spec_for, swebench_spec


def _instance(**extra) -> object:
    row = {"instance_id": "x", "repo": "pallets/flask", "base_commit": "a" * 40,
           "test_patch": "", "FAIL_TO_PASS": "[]", "PASS_TO_PASS": "[]", **extra}
    return parse_instance(row, "test")


def test_swebench_spec_for_a_versioned_instance() -> None:
    spec = spec_for(_instance(version="2.3"))
    assert spec.source == "swebench pallets/flask 2.3"
    assert spec.python == "3.11" and spec.test_cmd == "pytest -rA"
    assert spec.requirement_files == ("requirements/dev.txt",)
    assert "Werkzeug==2.3.7" in spec.pip_packages
    assert spec.install == ("python -m pip install -e .",)


def test_the_instance_override_wins_and_no_version_means_the_default() -> None:
    spec = spec_for(_instance(version="2.3", environment={"python": "3.9", "install": "pip install -e .[test]"}))
    assert (spec.source, spec.python, spec.install) == ("instance", "3.9", ("pip install -e .[test]",))
    assert spec_for(_instance()).source == "default"
    assert spec_for(_instance(repo="acme/own", version="1.0")).source == "default"


def test_the_vendored_data_names_its_source_and_licence() -> None:
    data = json.loads((Path(__file__).resolve().parents[3] / "workers" / "evaluation" / "data"
                       / "swebench_specs.json").read_text())
    assert "swebench 4.1.0" in data["_source"] and "MIT License" in data["_license"]
    assert swebench_spec("sympy/sympy", "1.1")["test_cmd"].startswith("PYTHONWARNINGS=")


def test_pip_install_lines_become_uv_arguments() -> None:
    lines, other = split_install([
        "python -m pip install -v --no-use-pep517 --no-build-isolation -e .",
        "pip install -e .[dev]",
        "python setup.py build_ext --inplace",
        "python -m pip install .",
    ])
    assert lines == ["--no-build-isolation -e .", "-e '.[dev]'", "-e ."]
    assert other == ["python setup.py build_ext --inplace"]


def test_swebench_pins_override_the_requirements(tmp_path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text("markupsafe==2.1.2\n")
    spec = spec_for(_instance(version="2.3"))
    settings, note = settings_for(spec, tmp_path, ["3.10", "3.11"])
    assert note == "" and settings.python == "3.11" and not settings.exclude_newer
    assert settings.install[0] == "-r requirements/dev.txt" and "-e ." in settings.install
    [override] = [line for line in settings.install if line.startswith("--override ")]
    pins = (tmp_path / override.split()[1]).read_text().split()
    assert "MarkupSafe==2.1.1" in pins


def test_a_python_the_machine_lacks_is_noted_and_left_to_the_plan(tmp_path) -> None:
    settings, note = settings_for(spec_for(_instance(version="2.0")), tmp_path, ["3.11"])
    assert settings.python is None and note.startswith("Python 3.9 is not on this machine")


def test_conda_environment_files_become_requirements() -> None:
    text = "name: t\ndependencies:\n  - python=3.10\n  - numpy=1.23\n  - conda-forge::scipy\n" \
           "  - pip\n  - pip:\n      - pytest-xdist\nchannels:\n  - conda-forge\n"
    assert conda_dependencies(text) == ["numpy==1.23", "scipy", "pytest-xdist"]
