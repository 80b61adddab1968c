"""`.github/iquest.yml`: defaults, validation, and clear errors for broken files."""

from __future__ import annotations

from workers.github.port import Permission
from workers.intake.repo_config import (
    OutputMode,
    RepoConfig,
    parse_repo_config,
    render_effective_config,
)


def test_absent_or_empty_file_gives_defaults() -> None:
    for text in (None, "", "  \n", "# only a comment\n"):
        loaded = parse_repo_config(text)
        assert loaded.config == RepoConfig()
        assert loaded.error is None


def test_valid_settings_are_read() -> None:
    loaded = parse_repo_config(
        "min_permission: maintain\noutput_mode: draft_pr\ndeny_paths: [secrets/, '*.lock']\nmax_files: 3\n"
    )
    assert loaded.error is None
    assert loaded.config.min_permission is Permission.MAINTAIN
    assert loaded.config.output_mode is OutputMode.DRAFT_PR
    assert loaded.config.deny_paths == ["secrets/", "*.lock"]
    assert loaded.config.max_files == 3


def test_broken_yaml_falls_back_to_defaults_with_a_message() -> None:
    loaded = parse_repo_config("max_files: [1,\n")
    assert loaded.config == RepoConfig()
    assert "not valid YAML" in loaded.error


def test_invalid_values_and_unknown_keys_are_named() -> None:
    loaded = parse_repo_config("max_files: 0\nmin_permision: write\n")
    assert loaded.config == RepoConfig()
    assert "`max_files`" in loaded.error
    assert "`min_permision`" in loaded.error
    assert "not a mapping" not in loaded.error
    assert "must be a mapping" in parse_repo_config("- a\n- b\n").error


def test_effective_config_round_trips() -> None:
    config = RepoConfig(max_files=2, instructions="be brief")
    assert parse_repo_config(render_effective_config(config)).config == config


def test_test_and_candidates_settings_are_validated():
    loaded = parse_repo_config("test:\n  command: pytest -q\n  setup: [pip --version]\n  timeout: 120\ncandidates: 3\n")
    assert loaded.error is None
    assert loaded.config.test.command == "pytest -q" and loaded.config.test.timeout == 120
    assert loaded.config.candidates == 3
    assert parse_repo_config("").config.test is None
    broken = parse_repo_config("test:\n  command: ''\ncandidates: 9\n")
    assert "`test.command`" in broken.error and "`candidates`" in broken.error


def test_the_environment_setting_is_read_and_checked() -> None:
    from workers.handlers.context import environment_settings

    loaded = parse_repo_config(
        "environment:\n  python: '3.10'\n  install: ['-e .[test]']\n  packages: [pytest-timeout]\n"
        "  commands: ['python setup.py build_ext --inplace']\n  exclude_newer: false\n"
    )
    assert loaded.error is None
    settings = environment_settings(loaded.config)
    assert settings.python == "3.10" and settings.install == ("-e .[test]",)
    assert settings.packages == ("pytest-timeout",) and not settings.exclude_newer
    assert environment_settings(parse_repo_config("").config) is None
    bad = parse_repo_config("environment:\n  python: 'three'\n  pip: x\n")
    assert "`environment.python`" in bad.error and "`environment.pip`" in bad.error


def test_the_monthly_summary_is_off_by_default_and_checked() -> None:
    assert parse_repo_config("require_verified: true\n").config.monthly_summary is None
    on = parse_repo_config("monthly_summary:\n  issue: 42\n")
    assert on.error is None and on.config.monthly_summary is not None
    assert on.config.monthly_summary.issue == 42
    for text, named in (("monthly_summary:\n  issue: 0\n", "`monthly_summary.issue`"),
                        ("monthly_summary:\n  issue: first\n", "`monthly_summary.issue`"),
                        ("monthly_summary: true\n", "`monthly_summary`"),
                        ("monthly_summary: {}\n", "`monthly_summary.issue`: Field required"),
                        ("monthly_summary:\n  issue: 4\n  weekly: true\n", "`monthly_summary.weekly`")):
        loaded = parse_repo_config(text)
        assert loaded.config.monthly_summary is None, text
        assert loaded.error is not None and named in loaded.error, (text, loaded.error)
