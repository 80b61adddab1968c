"""The GitHub operations the app uses, as a Protocol over plain data; pipeline code sees only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Permission(StrEnum):
    NONE = "none"
    READ = "read"
    TRIAGE = "triage"
    WRITE = "write"
    MAINTAIN = "maintain"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Permission).index(self)

    def allows(self, required: Permission) -> bool:
        return self.rank >= required.rank


class ReactionTarget(StrEnum):
    ISSUE = "issue"
    ISSUE_COMMENT = "issue_comment"
    REVIEW_COMMENT = "review_comment"


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    author_is_bot: bool = False


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    author: str
    state: str
    is_pull_request: bool = False
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Repository:
    full_name: str
    default_branch: str


class GitHubError(RuntimeError):
    """A GitHub call failed in a way the job cannot recover from by itself."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubPort(Protocol):
    """One installation's view of one repository."""

    full_name: str

    def get_repository(self) -> Repository: ...

    def get_permission(self, login: str) -> Permission: ...

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """The file's text at `ref` (default branch when None), or None when it does not exist."""
        ...

    def get_issue(self, number: int) -> Issue: ...

    def list_issue_comments(self, number: int) -> list[Comment]: ...

    def get_issue_comment(self, comment_id: int) -> Comment: ...

    def create_issue_comment(self, number: int, body: str) -> Comment: ...

    def update_issue_comment(self, comment_id: int, body: str) -> Comment: ...

    def add_reaction(self, target: ReactionTarget, target_id: int, content: str) -> None: ...
