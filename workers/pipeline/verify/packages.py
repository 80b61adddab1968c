"""Per-package verification: each package the fix touches runs its own test command, from its folder.

A package is a folder whose `.iquest.yml` sets `test:` (see workers/intake/dir_config.py); a
changed file belongs to the nearest one above it, or to the repository root (`.github/iquest.yml`'s
`test:`, else pytest on the related tests). The whole fix is laid over the tree for every run;
only the command, its folder and the tests it picks differ. The results are added up into one
`Verification` that names each package and its command.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from workers.pipeline.verification import Counts, Verification
from workers.pipeline.verify.plan import TestSettings
from workers.pipeline.verify.verify import Verifier

# The tree → {package folder: its test settings}; read from the commit being fixed.
PackageTable = Callable[[Path], Mapping[str, TestSettings]]


def package_of(path: str, folders: Sequence[str]) -> str:
    """The nearest package folder above `path`, or "" (the root)."""
    folder = posixpath.dirname(path)
    while folder:
        if folder in folders:
            return folder
        folder = posixpath.dirname(folder)
    return ""


class PackageVerifier:
    """`verify(root, all_paths, changes)` like `Verifier`, one run per touched package."""

    def __init__(self, verifier: Verifier, packages: PackageTable) -> None:
        self.verifier = verifier
        self.packages = packages

    def verify(
        self, root: Path, all_paths: Sequence[str], changes: Mapping[str, str | None]
    ) -> Verification:
        table = self.packages(root)
        if not table:
            return self.verifier.verify(root, all_paths, changes)
        groups: dict[str, dict[str, str | None]] = {}
        for path, text in changes.items():
            groups.setdefault(package_of(path, list(table)), {})[path] = text
        results = []
        for folder in sorted(groups):
            result = self.verifier.verify_package(
                root, all_paths, changes, folder, table.get(folder), touched=groups[folder]
            )
            if not folder and result.ran:
                result = _with_packages(result, (("", result.command),))
            results.append((folder, result))
        return combine(results)


def _with_packages(v: Verification, packages: tuple[tuple[str, str], ...]) -> Verification:
    return replace(v, packages=packages)


def combine(results: Sequence[tuple[str, Verification]]) -> Verification:
    """One verification for several package runs (a single one is returned as it is)."""
    if len(results) == 1:
        return results[0][1]
    ran = [(folder, v) for folder, v in results if v.ran]
    if not ran:
        reasons = "; ".join(f"{folder or 'root'}: {v.reason.rstrip('.')}" for folder, v in results)
        return Verification(False, reason=f"{reasons}.")
    packages = tuple(p for _, v in ran for p in v.packages)
    not_run = [f"`{folder or '/'}` not run: {v.reason}" for folder, v in results if not v.ran]

    def total(side: str) -> Counts:
        counts = [getattr(v, side) for _, v in ran if getattr(v, side) is not None]
        return Counts(sum(c.passed for c in counts), sum(c.failed for c in counts))

    def joined(name: str) -> tuple[str, ...]:
        return tuple(t for _, v in ran for t in getattr(v, name))

    output = "\n".join(f"== {folder or 'repository root'} ==\n{v.output}" for folder, v in ran)
    return Verification(
        True,
        command=" ; ".join(
            f"(cd {folder} && {command})" if folder else command for folder, command in packages
        ),
        before=total("before"),
        after=total("after"),
        regressions=joined("regressions"),
        reproducing=joined("reproducing"),
        not_reproducing=joined("not_reproducing"),
        failing_new=joined("failing_new"),
        output=output + ("\n" + "\n".join(not_run) if not_run else ""),
        seconds=sum(v.seconds for _, v in results),
        packages=packages,
    )
