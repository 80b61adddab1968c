"""A repository's tree at a commit, in a folder of its own: from a local git directory
(`git archive`, no work tree touched) or from GitHub's tarball through the snapshot cache."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from datetime import datetime
from pathlib import Path

from workers.pipeline.context.snapshot import SnapshotCache, SnapshotError

GIT_SECONDS = 600


class CheckoutError(RuntimeError):
    """The repository or the commit is not available."""


def find_git_dir(repos_dir: Path, repo: str) -> Path | None:
    """`OWNER+NAME/repo`, `OWNER+NAME`, `OWNER/NAME` (bare or with a work tree), in that order."""
    owner, name = repo.split("/", 1)
    for candidate in (
        repos_dir / f"{owner}+{name}" / "repo",
        repos_dir / f"{owner}+{name}",
        repos_dir / owner / name,
    ):
        if (candidate / ".git").exists() or (candidate / "objects").is_dir():
            return candidate
    return None


def _git(git_dir: Path, *args: str) -> bytes:
    done = subprocess.run(
        ["git", "-C", str(git_dir), *args],
        capture_output=True,
        timeout=GIT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CheckoutError(f"git {args[0]} in {git_dir}: {message[-1] if message else 'failed'}")
    return done.stdout


def archive_into(git_dir: Path, commit: str, target: Path) -> None:
    """Extract the tree of `commit` into target (created), with the files' modes."""
    data = _git(git_dir, "archive", "--format=tar", commit)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        # Our own git's archive of a fetched repository; the data filter still refuses
        # links out of the tree and device files.
        archive.extractall(target, filter="data")


def checkout(
    repo: str,
    commit: str,
    target: Path,
    repos_dir: Path | None = None,
    snapshots: SnapshotCache | None = None,
) -> datetime | None:
    """Put `repo` at `commit` into `target` (which must not exist yet); the commit's date when
    the history is at hand (environments resolve packages as of then)."""
    if repos_dir is not None:
        git_dir = find_git_dir(repos_dir, repo)
        if git_dir is not None:
            archive_into(git_dir, commit, target)
            return commit_date(git_dir, commit)
        if snapshots is None:
            raise CheckoutError(f"{repo} is not under --repos-dir {repos_dir}")
    if snapshots is None:
        raise CheckoutError(f"no --repos-dir and no GitHub access to fetch {repo}")
    owner, name = repo.split("/", 1)
    try:
        snapshot = snapshots.get(owner, name, commit)
    except SnapshotError as error:
        raise CheckoutError(f"{repo}@{commit[:12]}: {error}") from None
    shutil.copytree(snapshot.root, target, symlinks=True)
    return None


def show_file(git_dir: Path, commit: str, path: str) -> str:
    return _git(git_dir, "show", f"{commit}:{path}").decode("utf-8", "replace")


def commit_date(git_dir: Path, commit: str) -> datetime | None:
    try:
        return datetime.fromisoformat(_git(git_dir, "show", "-s", "--format=%cI", commit).decode().strip())
    except (CheckoutError, ValueError):
        return None
