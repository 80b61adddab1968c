"""What a handler gets: the job, the repository's port and its settings, all passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.environments.cache import EnvironmentCache
from workers.environments.plan import EnvironmentSettings, IndexSettings
from workers.environments.provider import environment_for
from workers.github.port import GitHubPort
from workers.intake.jobs import Job
from workers.intake.repo_config import CONFIG_PATH, LoadedConfig, RepoConfig, parse_repo_config
from workers.intake.triggers import TriggerRules
from workers.pipeline.run import FixLimits, Verify
from workers.pipeline.verify.plan import TestSettings
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.port import Limits, Sandbox


@dataclass(frozen=True)
class JobContext:
    job: Job
    github: GitHubPort
    rules: TriggerRules
    config: LoadedConfig
    # Counts an accepted job against the daily quotas; a refusal to show instead when full.
    take_quota: Callable[[JobContext], str | None] | None = None


def load_repo_config(github: GitHubPort) -> LoadedConfig:
    # Settings come from the default branch (what GitHub reads without a ref), so a pull
    # request cannot change the rules it is judged by.
    return parse_repo_config(github.read_file(CONFIG_PATH))


def load_context(
    job: Job,
    github: GitHubPort,
    rules: TriggerRules,
    take_quota: Callable[[JobContext], str | None] | None = None,
) -> JobContext:
    return JobContext(
        job=job, github=github, rules=rules, config=load_repo_config(github),
        take_quota=take_quota,
    )


def limits_for(config: RepoConfig, default_candidates: int = 1) -> FixLimits:
    """The repository's limits on what one fix may change, as the pipeline takes them."""
    return FixLimits(
        candidates=config.candidates or default_candidates,
        max_files=config.max_files,
        max_changed_lines=config.max_changed_lines,
        deny_paths=tuple(config.deny_paths),
        instructions=config.instructions,
    )


@dataclass(frozen=True)
class VerifyServices:
    """The worker's sandbox, its limits, and where baseline runs are cached (per commit)."""

    sandbox: Sandbox
    limits: Limits = Limits()
    cache_dir: Path | None = None
    # Test environments: None builds nothing (the worker's own pytest only).
    environments: EnvironmentCache | None = None
    index: IndexSettings = IndexSettings()


def verifier_for(services: VerifyServices | None, config: RepoConfig) -> Verify | None:
    """How this repository's fixes are tested: its `test:` setting, else detection."""
    if services is None:
        return None
    test = config.test
    settings = (
        TestSettings(test.command, tuple(test.setup), test.timeout) if test is not None else None
    )
    environment = None
    if services.environments is not None:
        environment = environment_for(services.environments, environment_settings(config), services.index)
    return Verifier(services.sandbox, services.limits, settings, services.cache_dir, environment).verify


def environment_settings(config: RepoConfig) -> EnvironmentSettings | None:
    """`.github/iquest.yml`'s `environment:`, as the planner takes it."""
    env = config.environment
    if env is None:
        return None
    return EnvironmentSettings(
        python=env.python,
        install=tuple(env.install),
        packages=tuple(env.packages),
        commands=tuple(env.commands),
        index_url=env.index_url,
        exclude_newer=env.exclude_newer,
    )
