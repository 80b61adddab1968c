"""What an instance needs to run its tests: the Python, the packages, the install and test
commands. From the instance's own `environment` override, else SWE-bench's per-version spec
(`data/swebench_specs.json`, vendored from the `swebench` package 4.1.0, MIT, attribution
inside), else a plain pytest run with nothing installed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from workers.evaluation.instances import Instance

DEFAULT_TEST_CMD = "pytest -rA"


@dataclass(frozen=True)
class EnvSpec:
    """How to build an instance's environment and run its tests (in the repository's root)."""

    source: str  # "instance", "swebench <repo> <version>", or "default"
    python: str = ""  # "3.9"; empty: whatever the machine runs
    pip_packages: tuple[str, ...] = ()  # requirement specifiers installed first
    requirement_files: tuple[str, ...] = ()  # the repository's own requirements files
    pre_install: tuple[str, ...] = ()  # shell commands run in the tree before the install
    install: tuple[str, ...] = ()  # shell commands that install the project itself
    test_cmd: str = DEFAULT_TEST_CMD
    eval_commands: tuple[str, ...] = ()  # shell commands run before the tests (exports)
    conda_packages: str = ""  # SWE-bench's conda `packages` line, when it is not a file
    conda_env_files: tuple[str, ...] = ()  # environment.yml candidates (conda's own format)
    # The requirements as SWE-bench installs them (read at the environment setup commit);
    # empty: the requirement files of the tree itself.
    requirements: str = ""


@cache
def _vendored() -> dict:
    text = resources.files("workers.evaluation").joinpath("data/swebench_specs.json").read_text()
    return json.loads(text)


def swebench_spec(repo: str, version: str) -> dict | None:
    return _vendored()["specs"].get(repo, {}).get(version)


def _as_tuple(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[union-attr]


def spec_for(instance: Instance) -> EnvSpec:
    override = instance.environment
    if override is not None:
        return EnvSpec(
            source="instance",
            python=override.python,
            install=override.install,
            test_cmd=override.test_cmd or DEFAULT_TEST_CMD,
        )
    raw = swebench_spec(instance.repo, instance.version) if instance.version else None
    if raw is None:
        return EnvSpec(source="default")
    packages = str(raw.get("packages", "") or "")
    files: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    conda = ""
    if packages == "requirements.txt":
        files = tuple(_vendored()["requirements_paths"].get(instance.repo, ()))
    elif packages == "environment.yml" and not raw.get("no_use_env"):
        # `no_use_env`: SWE-bench makes the environment from the Python and pip pins alone.
        env_files = tuple(_vendored()["env_yml_paths"].get(instance.repo, ()))
    elif packages != "environment.yml":
        conda = packages
    test_cmd = raw.get("test_cmd", DEFAULT_TEST_CMD)
    if isinstance(test_cmd, list):
        test_cmd = test_cmd[-1]
    return EnvSpec(
        source=f"swebench {instance.repo} {instance.version}",
        python=str(raw.get("python", "")),
        pip_packages=_as_tuple(raw.get("pip_packages")),
        requirement_files=files,
        pre_install=_as_tuple(raw.get("pre_install")),
        install=_as_tuple(raw.get("install")),
        test_cmd=str(test_cmd),
        eval_commands=_as_tuple(raw.get("eval_commands")),
        conda_packages=conda,
        conda_env_files=env_files,
    )
