"""Per-directory `.iquest.yml`: which keys a folder may set, and the nearest one winning."""

from __future__ import annotations

from pathlib import Path

from workers.intake.dir_config import (
    effective_config,
    package_for,
    parse_dir_config,
    scan_dir_configs,
)
from workers.intake.repo_config import RepoConfig
from workers.intake.repo_config import TestConfig as RunConfig

ROOT = RepoConfig(test=RunConfig(command="make test"), deny_paths=["secrets/*"], max_files=3)


def test_the_nearest_folder_wins_key_by_key_and_denials_only_grow() -> None:
    configs = [
        parse_dir_config("services", "deny_paths: ['*.lock']\n"),
        parse_dir_config("services/billing", "test:\n  command: pytest -q\n"),
    ]
    billing = effective_config(ROOT, configs, "services/billing/app.py")
    assert billing.test.command == "pytest -q"
    assert billing.deny_paths == ["secrets/*", "services/*.lock"]
    assert billing.max_files == 3  # not a folder key: the root's
    search = effective_config(ROOT, configs, "services/search/x.py")
    assert search.test.command == "make test" and search.deny_paths == ["secrets/*", "services/*.lock"]
    assert effective_config(ROOT, configs, "web/x.ts") == ROOT
    assert package_for(configs, "services/billing/a/b.py").folder == "services/billing"
    assert package_for(configs, "services/search/x.py") is None


def test_repository_wide_keys_and_broken_files_are_refused_with_a_reason() -> None:
    wide = parse_dir_config("svc", "min_permission: read\ntest:\n  command: x\n")
    assert wide.error and "`min_permission`" in wide.error and ".github/iquest.yml" in wide.error
    assert "not valid YAML" in parse_dir_config("svc", "test: [\n").error
    assert "`test.command`" in parse_dir_config("svc", "test:\n  command: ''\n").error
    # An unusable file changes nothing.
    assert effective_config(ROOT, [wide], "svc/a.py") == ROOT


def test_scan_reads_the_tree_below_the_root(tmp_path: Path) -> None:
    (tmp_path / "a/b").mkdir(parents=True)
    (tmp_path / ".iquest.yml").write_text("min_permission: read\n")  # the root's is .github/iquest.yml
    (tmp_path / "a/b/.iquest.yml").write_text("test:\n  command: go test ./...\n")
    (tmp_path / "node_modules/x").mkdir(parents=True)
    (tmp_path / "node_modules/x/.iquest.yml").write_text("test:\n  command: evil\n")
    [found] = scan_dir_configs(tmp_path)
    assert found.folder == "a/b" and found.test.command == "go test ./..."
