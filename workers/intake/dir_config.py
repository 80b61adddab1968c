"""Per-directory settings: `.iquest.yml` files below the root for the files under them.

A monorepo's `services/billing/.iquest.yml` sets what differs for that package; the nearest
file wins key by key over the folders above it and `.github/iquest.yml`. Only keys that mean
something for part of a tree may be set there: `test` (run in that folder, for the files
under it) and `deny_paths` (relative to the folder, added to the denials above — a package can
protect more, never less). Everything else is repository-wide and stays in `.github/iquest.yml`.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workers.intake.repo_config import RepoConfig, TestConfig

DIR_CONFIG_NAME = ".iquest.yml"
DIRECTORY_KEYS = ("test", "deny_paths")
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
MAX_DIR_CONFIGS = 200  # a tree with more is not a monorepo this reads file by file


@dataclass(frozen=True)
class DirConfig:
    """One folder's settings (only the keys it sets); `error` when the file is unusable."""

    folder: str  # repository-relative, no trailing slash; never "" (the root is .github/iquest.yml)
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def path(self) -> str:
        return f"{self.folder}/{DIR_CONFIG_NAME}"

    @property
    def test(self) -> TestConfig | None:
        value = self.values.get("test")
        return value if isinstance(value, TestConfig) else None


def parse_dir_config(folder: str, text: str | None) -> DirConfig:
    folder = folder.strip("/")
    where = f"`{folder}/{DIR_CONFIG_NAME}`"
    if text is None or not text.strip():
        return DirConfig(folder)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return DirConfig(folder, error=f"{where} is not valid YAML; it is ignored.")
    if data is None:
        return DirConfig(folder)
    if not isinstance(data, dict):
        return DirConfig(folder, error=f"{where} must be a mapping of settings; it is ignored.")
    other = sorted(str(key) for key in data if key not in DIRECTORY_KEYS)
    if other:
        keys = ", ".join(f"`{key}`" for key in other)
        return DirConfig(
            folder,
            error=f"{where} sets {keys}, which only `.github/iquest.yml` can set (a folder may "
            f"set {', '.join(f'`{k}`' for k in DIRECTORY_KEYS)}); it is ignored.",
        )
    try:
        checked = RepoConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"`{'.'.join(str(part) for part in item['loc'])}`: {item['msg']}" for item in error.errors()
        )
        return DirConfig(folder, error=f"{where} has invalid settings: {problems}; it is ignored.")
    return DirConfig(folder, {key: getattr(checked, key) for key in data})


def ancestors(path: str) -> list[str]:
    """The folders above `path` (and `path` itself when it names a folder), shallowest first."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def applying(configs: Iterable[DirConfig], path: str) -> list[DirConfig]:
    """The usable folder settings above `path`, farthest first (so the nearest is applied last)."""
    above = set(ancestors(path))
    return sorted(
        (c for c in configs if c.error is None and c.folder in above),
        key=lambda c: c.folder.count("/"),
    )


def effective_config(root: RepoConfig, configs: Iterable[DirConfig], path: str) -> RepoConfig:
    """The settings in force for `path`: the root's, then each folder's down to the nearest."""
    config = root
    for folder_config in applying(configs, path):
        changes: dict[str, Any] = {}
        if "test" in folder_config.values:
            changes["test"] = folder_config.values["test"]
        if "deny_paths" in folder_config.values:
            changes["deny_paths"] = [*config.deny_paths, *folder_denials(folder_config)]
        config = config.model_copy(update=changes)
    return config


def folder_denials(config: DirConfig) -> list[str]:
    """A folder's `deny_paths`, as patterns from the repository root."""
    return [
        posixpath.join(config.folder, pattern.lstrip("/"))
        for pattern in config.values.get("deny_paths", [])
    ]


def all_denials(configs: Iterable[DirConfig]) -> list[str]:
    """Every folder's denials: an edit anywhere is checked against the folder it lands in."""
    return [pattern for c in configs if c.error is None for pattern in folder_denials(c)]


def package_for(configs: Iterable[DirConfig], path: str) -> DirConfig | None:
    """The nearest folder above `path` whose settings name a test command (its package)."""
    with_tests = [c for c in applying(configs, path) if c.test is not None]
    return with_tests[-1] if with_tests else None


def scan_dir_configs(root: Path) -> list[DirConfig]:
    """Every `.iquest.yml` below the root of a downloaded tree (symlinks are not followed)."""
    found: list[DirConfig] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        if rel == "." or DIR_CONFIG_NAME not in files:
            continue
        target = Path(folder) / DIR_CONFIG_NAME
        if target.is_symlink() or not target.is_file():
            continue
        text = target.read_bytes()[:65536].decode("utf-8", errors="replace")
        found.append(parse_dir_config(rel, text))
        if len(found) >= MAX_DIR_CONFIGS:
            break
    return found
