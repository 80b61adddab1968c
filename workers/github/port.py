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
    # GitHub's author_association (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...).
    association: str = ""
    # Written by this app itself (its own bot login), not merely by some bot: only such a
    # comment's markers are believed, and only such a comment is ever edited.
    by_app: bool = False


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    author: str
    state: str
    is_pull_request: bool = False
    labels: list[str] = field(default_factory=list)
    # How many comments the thread has: which page holds the newest ones.
    comments: int = 0


@dataclass(frozen=True)
class Repository:
    full_name: str
    default_branch: str


@dataclass(frozen=True)
class PullRequest:
    number: int
    html_url: str
    title: str
    head_ref: str
    head_sha: str
    base_ref: str
    draft: bool = False
    state: str = "open"
    # "" when unknown; differs from the base repository's name for a fork's PR.
    head_repo_full_name: str = ""
    body: str = ""


@dataclass(frozen=True)
class PullFile:
    path: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    # GitHub's hunks for the file (no ---/+++ header); None for binary or very large diffs.
    patch: str | None = None


@dataclass(frozen=True)
class ReviewCommentDraft:
    """One inline comment of a review to create; lines are the PR head's (RIGHT) numbering."""

    path: str
    line: int
    body: str
    start_line: int | None = None
    side: str = "RIGHT"


@dataclass(frozen=True)
class Review:
    id: int
    html_url: str


@dataclass(frozen=True)
class ReviewComment:
    """An inline review comment; `line`/`start_line` are the PR head's numbering on `side`."""

    id: int
    body: str
    author: str
    path: str
    # None when the thread is outdated: its lines are gone from the current diff.
    line: int | None
    start_line: int | None = None
    side: str = "RIGHT"
    # The thread's first comment when this is a reply; GitHub threads are one level deep.
    in_reply_to_id: int | None = None
    review_id: int | None = None
    author_is_bot: bool = False
    html_url: str = ""
    by_app: bool = False  # written by this app itself (see Comment.by_app)

    @property
    def thread_id(self) -> int:
        return self.in_reply_to_id or self.id


@dataclass(frozen=True)
class SubmittedReview:
    id: int
    body: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    author: str


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree_sha: str
    message: str
    parents: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckRun:
    """A check run as the app reads it back: what ran, on which commit, and what it reported."""

    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    html_url: str = ""
    app_slug: str = ""
    title: str = ""
    summary: str = ""
    text: str = ""


@dataclass(frozen=True)
class CheckAnnotation:
    path: str
    start_line: int
    end_line: int
    level: str  # notice | warning | failure
    message: str
    title: str = ""


@dataclass(frozen=True)
class CheckAction:
    """A button on a check run; GitHub sends `identifier` back when someone presses it."""

    label: str  # at most 20 characters
    description: str  # at most 40 characters
    identifier: str  # at most 20 characters


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    annotations: tuple[CheckAnnotation, ...] = ()
    # The details below the summary (GitHub's `output.text`), e.g. a fix's whole receipt.
    text: str = ""
    # How the run concludes when this output completes it: `success` only for a verified fix.
    conclusion: str = "neutral"


@dataclass(frozen=True)
class CodeScanningAlert:
    """A code-scanning alert as the app reads it (issue 24): rule, tool and the pointed lines."""

    number: int
    state: str  # open | dismissed | fixed
    html_url: str
    rule_id: str
    rule_description: str
    severity: str  # none | note | warning | error ("" when unset)
    security_severity: str  # low | medium | high | critical ("" when unset)
    tool: str
    message: str
    path: str
    start_line: int
    end_line: int
    ref: str = ""
    commit_sha: str = ""


class GitHubError(RuntimeError):
    """A GitHub call failed in a way the job cannot recover from by itself."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        # Server errors and rate limits pass; a refusal (401/403/404/422) does not.
        self.transient = transient


class GitHubPort(Protocol):
    """One installation's view of one repository."""

    full_name: str

    def get_repository(self) -> Repository: ...

    def get_permission(self, login: str) -> Permission: ...

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        """The file's text at `ref` (default branch when None), or None when it does not exist."""
        ...

    def get_issue(self, number: int) -> Issue: ...

    def list_issue_comments(self, number: int) -> list[Comment]:
        """The thread's newest comments (GitHub's last page of 100), oldest first.

        One client serves one job: the page is read once and the job's own writes are kept
        in it, so a 400-comment thread costs the same one call as a 3-comment one.
        """
        ...

    def upsert_marked_comment(self, number: int, marker: str, body: str) -> Comment:
        """Edit the app's comment on the thread that carries `marker`, or create it.

        Where that comment is, is remembered across jobs; it is looked for by its marker only
        when unknown, or when the remembered one is gone.
        """
        ...

    def get_issue_comment(self, comment_id: int) -> Comment: ...

    def create_issue_comment(self, number: int, body: str) -> Comment: ...

    def update_issue_comment(self, comment_id: int, body: str) -> Comment: ...

    def add_reaction(self, target: ReactionTarget, target_id: int, content: str) -> None: ...

    # Git database: how the app commits without a clone.
    def get_branch_sha(self, branch: str) -> str | None: ...

    def get_branch(self, branch: str) -> GitCommit | None:
        """The branch's head commit (with its tree and message), or None when there is no branch."""
        ...

    def get_commit(self, sha: str) -> GitCommit: ...

    def create_tree(
        self, base_tree: str, files: dict[str, str | None], executable: frozenset[str] = frozenset()
    ) -> str:
        """A tree: `base_tree` with `files` written (text) or deleted (None)."""
        ...

    def create_commit(self, message: str, tree: str, parents: list[str]) -> str: ...

    def create_branch(self, branch: str, sha: str) -> None: ...

    def move_branch(self, branch: str, sha: str, force: bool) -> None: ...

    def download_tarball(self, ref: str) -> bytes: ...

    # Pull requests
    def find_open_pull(self, head_branch: str) -> PullRequest | None: ...

    def create_pull(self, title: str, body: str, head: str, base: str, draft: bool) -> PullRequest: ...

    def update_pull(self, number: int, title: str, body: str) -> PullRequest: ...

    def get_pull(self, number: int) -> PullRequest: ...

    def list_pull_files(self, number: int) -> list[PullFile]: ...

    def find_review(self, number: int, marker: str) -> Review | None:
        """The app's own review on the PR whose body carries `marker`."""
        ...

    def create_review(
        self, number: int, commit_id: str, body: str, comments: list[ReviewCommentDraft]
    ) -> Review:
        """A submitted COMMENT review; GitHub refuses it whole if any comment misses the diff."""
        ...

    def list_pull_commits(self, number: int) -> list[GitCommit]:
        """The PR's commits, oldest first (GitHub lists at most 250)."""
        ...

    # Checks
    def get_check_run(self, check_run_id: int) -> CheckRun: ...

    def list_check_run_annotations(self, check_run_id: int) -> list[CheckAnnotation]: ...

    def create_check_run(
        self, name: str, head_sha: str, external_id: str, completed: CheckOutput | None = None
    ) -> int:
        """A check run of this app on `head_sha`, queued, or completed (neutral) with
        `completed` as its output; returns its id."""
        ...

    def update_check_run(
        self,
        check_run_id: int,
        status: str,
        conclusion: str | None = None,
        output: CheckOutput | None = None,
        actions: tuple[CheckAction, ...] = (),
    ) -> None:
        """status: queued | in_progress | completed (a conclusion completes it)."""
        ...

    # Review threads
    def get_review(self, number: int, review_id: int) -> SubmittedReview: ...

    def list_review_comments(self, number: int, review_id: int | None = None) -> list[ReviewComment]:
        """Every inline comment on the PR, or only those of one review, oldest first."""
        ...

    def get_review_comment(self, comment_id: int) -> ReviewComment: ...

    # Code scanning (needs the `security_events: read` permission; 403 without it)
    def get_code_scanning_alert(self, number: int) -> CodeScanningAlert: ...

    def list_code_scanning_alerts(self, ref: str) -> list[CodeScanningAlert]:
        """The open alerts on `ref` (`refs/heads/x`, `refs/pull/N/head`)."""
        ...

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> ReviewComment:
        """A reply in the thread of `comment_id`, which must be the thread's first comment."""
        ...
