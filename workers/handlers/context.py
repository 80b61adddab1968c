"""What a handler gets: the job, the repository's port and its settings, all passed in."""

from __future__ import annotations

from dataclasses import dataclass

from workers.github.port import GitHubPort
from workers.jobs import Job
from workers.repo_config import CONFIG_PATH, LoadedConfig, parse_repo_config
from workers.triggers import TriggerRules


@dataclass(frozen=True)
class JobContext:
    job: Job
    github: GitHubPort
    rules: TriggerRules
    config: LoadedConfig


def load_context(job: Job, github: GitHubPort, rules: TriggerRules) -> JobContext:
    # Settings come from the default branch, so a pull request cannot change the rules it is
    # judged by.
    default_branch = github.get_repository().default_branch
    config = parse_repo_config(github.read_file(CONFIG_PATH, ref=default_branch))
    return JobContext(job=job, github=github, rules=rules, config=config)
