"""What a handler gets: the job, the repository's port and its settings, all passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.github.port import GitHubPort, Repository
from workers.jobs import Job
from workers.pipeline.run import FixLimits
from workers.repo_config import CONFIG_PATH, LoadedConfig, RepoConfig, parse_repo_config
from workers.triggers import TriggerRules


@dataclass(frozen=True)
class JobContext:
    job: Job
    github: GitHubPort
    rules: TriggerRules
    config: LoadedConfig
    # Read once per job; handlers take the default branch from here.
    repository: Repository
    # Counts an accepted job against the daily quotas; a refusal to show instead when full.
    take_quota: Callable[[JobContext], str | None] | None = None


def load_repo_config(github: GitHubPort, repository: Repository | None = None) -> LoadedConfig:
    # Settings come from the default branch, so a pull request cannot change the rules it is
    # judged by.
    default_branch = (repository or github.get_repository()).default_branch
    return parse_repo_config(github.read_file(CONFIG_PATH, ref=default_branch))


def load_context(
    job: Job,
    github: GitHubPort,
    rules: TriggerRules,
    take_quota: Callable[[JobContext], str | None] | None = None,
) -> JobContext:
    repository = github.get_repository()
    return JobContext(
        job=job, github=github, rules=rules, config=load_repo_config(github, repository),
        repository=repository, take_quota=take_quota,
    )


def limits_for(config: RepoConfig) -> FixLimits:
    """The repository's limits on what one fix may change, as the pipeline takes them."""
    return FixLimits(
        max_files=config.max_files,
        max_changed_lines=config.max_changed_lines,
        deny_paths=tuple(config.deny_paths),
        instructions=config.instructions,
    )
