"""Applying a diff to a tree the way SWE-bench's harness does, and reading which files a
diff touches. `git apply` and `patch` only write files; nothing of the repository runs."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PATCH_SECONDS = 120
_DIFF_GIT = re.compile(r"^diff --git a/.* b/(.*)$", re.MULTILINE)
# Files SWE-bench does not count as tests when it turns a test patch into test arguments.
NON_TEST_EXTS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml")


@dataclass(frozen=True)
class Applied:
    ok: bool
    how: str  # which attempt worked ("git apply", "git apply --reject", "patch --fuzz=5"), or ""
    log: str


# SWE-bench tries these in order; the first that exits 0 wins.
ATTEMPTS = (
    ("git apply", ["git", "apply", "--verbose"]),
    ("git apply --reject", ["git", "apply", "--verbose", "--reject"]),
    ("patch --fuzz=5", ["patch", "--batch", "--fuzz=5", "-p1", "-i"]),
)


def _env(tree: Path) -> dict[str, str]:
    # Keep git from finding a repository above the tree: it applies as plain `patch` then.
    return {**os.environ, "GIT_CEILING_DIRECTORIES": str(tree.parent)}


def apply_patch(tree: Path, patch: str) -> Applied:
    """Apply `patch` inside `tree`; an empty patch applies trivially (nothing changes)."""
    if not patch.strip():
        return Applied(True, "empty", "")
    if not patch.endswith("\n"):
        patch += "\n"
    logs = []
    with tempfile.NamedTemporaryFile("w", suffix=".diff", delete=False, encoding="utf-8") as file:
        file.write(patch)
    try:
        for name, argv in ATTEMPTS:
            done = subprocess.run(
                [*argv, file.name],
                cwd=tree,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=PATCH_SECONDS,
                env=_env(tree),
                check=False,
            )
            logs.append(f"$ {name}\n{done.stdout}{done.stderr}")
            if done.returncode == 0:
                return Applied(True, name, "\n".join(logs))
    finally:
        os.unlink(file.name)
    return Applied(False, "", "\n".join(logs))


def patched_files(patch: str) -> list[str]:
    """The paths a `diff --git` patch touches (the b/ side), in order, once each."""
    return list(dict.fromkeys(_DIFF_GIT.findall(patch)))


def test_directives(test_patch: str) -> list[str]:
    """The test files SWE-bench passes to the test command: the test patch's files that are tests."""
    return [path for path in patched_files(test_patch) if not path.endswith(NON_TEST_EXTS)]
