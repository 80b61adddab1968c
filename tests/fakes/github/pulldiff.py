"""What a pull request compares: base, head and merge base commits, its commits and files."""

from __future__ import annotations

from .diffs import FileDiff, diff_trees
from .state import Pull, Repo


def base_sha(repo: Repo, pull: Pull) -> str:
    return repo.refs.get(f"refs/heads/{pull.base_ref}", "")


def merge_base(repo: Repo, pull: Pull) -> str | None:
    return repo.git.merge_base(base_sha(repo, pull), pull.head_sha())


def commits(repo: Repo, pull: Pull) -> list[str]:
    """Commits on head and not on base, oldest first (what GitHub lists for the PR)."""
    on_base = set(repo.git.ancestors(base_sha(repo, pull)))
    return [c for c in reversed(repo.git.ancestors(pull.head_sha())) if c not in on_base]


def files(repo: Repo, pull: Pull) -> list[FileDiff]:
    """The three-dot diff GitHub shows: merge base to head."""
    base = merge_base(repo, pull)
    old_tree = repo.git.read_commit(base).tree if base else None
    return diff_trees(repo.git, old_tree, repo.git.read_commit(pull.head_sha()).tree)


def file_diff(repo: Repo, pull: Pull, path: str) -> FileDiff | None:
    return next((f for f in files(repo, pull) if f.path == path), None)
