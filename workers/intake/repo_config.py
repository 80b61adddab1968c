"""Per-repository settings from `.github/iquest.yml` on the default branch, validated, with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workers.github.port import Permission

CONFIG_PATH = ".github/iquest.yml"


class OutputMode(StrEnum):
    AUTO = "auto"
    SUGGESTIONS = "suggestions"
    DRAFT_PR = "draft_pr"


class TestConfig(BaseModel):
    """`test:` — how to run the repository's tests in the sandbox (no network there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(min_length=1, max_length=2000)
    setup: list[str] = Field(default_factory=list, max_length=10)
    timeout: int = Field(default=600, ge=10, le=3600)


class EnvironmentConfig(BaseModel):
    """`environment:` — what the test environment holds, when the repository's files do not say
    it well enough (docs/environments.md). Unset: derived from pyproject.toml, requirements, tox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    python: str | None = Field(default=None, pattern=r"^3\.\d{1,2}$")
    install: list[str] = Field(default_factory=list, max_length=20)  # replaces the derived lines
    packages: list[str] = Field(default_factory=list, max_length=50)  # added on top
    commands: list[str] = Field(default_factory=list, max_length=10)  # run after the install
    index_url: str | None = Field(default=None, max_length=500)
    exclude_newer: bool = True  # resolve unpinned dependencies as of the commit's date


class QuotaConfig(BaseModel):
    """Lower limits for this repository; the deployment's limits cap them (never raised)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jobs_per_day_per_installation: int | None = Field(default=None, ge=0)
    jobs_per_day_per_user: int | None = Field(default=None, ge=0)
    tokens_per_job: int | None = Field(default=None, ge=1)


# --- issue 24: repository guidance files and code-scanning alerts ------------------------------
class InstructionsConfig(BaseModel):
    """`instructions:` — the maintainers' own text, and the guidance files read from the tree.

    A plain string (the older form) is the maintainers' text with the defaults for the rest.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(default="", max_length=4000)
    enabled: bool = True  # read AGENTS.md, CLAUDE.md, Copilot's instruction files
    # Unset: the usual files; set: these paths (from the repository root) instead.
    files: list[str] | None = Field(default=None, max_length=20)
    max_tokens: int = Field(default=1500, ge=100, le=8000)


class Severity(StrEnum):
    """What `code_scanning.min_severity` takes: a rule's severity or its security severity."""

    NOTE = "note"
    LOW = "low"
    WARNING = "warning"
    MEDIUM = "medium"
    ERROR = "error"
    HIGH = "high"
    CRITICAL = "critical"


class CodeScanningConfig(BaseModel):
    """`code_scanning:` — fix code-scanning alerts raised on the default branch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fix: bool = False
    min_severity: Severity = Severity.WARNING
    # Empty: any tool; else tool names as GitHub reports them (`CodeQL`, `Ruff`, ...), any case.
    tools: list[str] = Field(default_factory=list, max_length=20)


# --- issue 22: the outcome ledger's monthly summary ----------------------------------------------
class MonthlySummaryConfig(BaseModel):
    """`monthly_summary:` — on the 1st (a daily check), last month's outcomes as a comment on
    this issue (docs/ledger.md). Unset: no summary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issue: int = Field(ge=1)


# ------------------------------------------------------------------------------------------------


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    min_permission: Permission = Permission.WRITE
    deny_paths: list[str] = Field(default_factory=list)
    max_files: int = Field(default=5, ge=1, le=50)
    max_changed_lines: int = Field(default=300, ge=1, le=5000)
    output_mode: OutputMode = OutputMode.AUTO
    review_rounds: int = Field(default=3, ge=0, le=10)
    ci_rounds: int = Field(default=2, ge=0, le=10)
    instructions: InstructionsConfig = Field(default_factory=InstructionsConfig)
    # Unset: pytest on the tests related to the change when the repository has Python tests.
    test: TestConfig | None = None
    # Unset: the deployment's IQUEST_CANDIDATES.
    candidates: int | None = Field(default=None, ge=1, le=5)
    # Unset: the deployment's IQUEST_MODEL_STRUCTURED_OUTPUT (replies as schema-bound JSON).
    structured_output: bool | None = None
    quotas: QuotaConfig = Field(default_factory=QuotaConfig)
    # Unset: the test environment is derived from the repository's own files.
    environment: EnvironmentConfig | None = None
    code_scanning: CodeScanningConfig = Field(default_factory=CodeScanningConfig)  # issue 24
    # The outcome ledger's companion (docs/ledger.md): true keeps a fix whose receipt does not
    # hold (tests not run, a regression, no reproducing test) out of a pull request; the status
    # comment shows it and the check run's "Open as draft PR" opens it anyway.
    require_verified: bool = False
    # Issue 22: unset (the default) posts no monthly summary.
    monthly_summary: MonthlySummaryConfig | None = None


    @field_validator("instructions", mode="before")
    @classmethod
    def _instructions_text(cls, value: object) -> object:
        # `instructions: "be brief"` stays valid: it is the maintainers' text.
        return {"text": value} if isinstance(value, str) else value


@dataclass(frozen=True)
class LoadedConfig:
    config: RepoConfig
    # Set when the file exists but is broken: the app runs on defaults and says so.
    error: str | None = None


def parse_repo_config(text: str | None) -> LoadedConfig:
    if text is None or not text.strip():
        return LoadedConfig(RepoConfig())
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return LoadedConfig(RepoConfig(), f"`{CONFIG_PATH}` is not valid YAML{where}.")
    if data is None:
        return LoadedConfig(RepoConfig())
    if not isinstance(data, dict):
        return LoadedConfig(RepoConfig(), f"`{CONFIG_PATH}` must be a mapping of settings.")
    try:
        return LoadedConfig(RepoConfig.model_validate(data))
    except ValidationError as error:
        problems = "; ".join(
            f"`{'.'.join(str(part) for part in item['loc'])}`: {item['msg']}"
            for item in error.errors()
        )
        return LoadedConfig(RepoConfig(), f"`{CONFIG_PATH}` has invalid settings: {problems}.")


def render_effective_config(config: RepoConfig) -> str:
    """The settings in force, as YAML a user can copy into the file."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False).strip()
