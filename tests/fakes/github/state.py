"""The fake's world: users, apps, installations, tokens and repositories with their records."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .gitobjects import Commit, ObjectStore

# Each kind of record gets its own id range, so a test catches an app passing one kind of id
# where GitHub expects another (a review id where a comment id belongs, ...).
ID_BASES = {
    "user": 1_000, "repo": 100_000, "issue": 2_000_000, "comment": 3_000_000,
    "review_comment": 4_000_000, "review": 5_000_000, "check_run": 6_000_000,
    "reaction": 7_000_000, "label": 8_000_000, "check_suite": 9_000_000, "pull": 10_000_000,
    "delivery": 20_000_000,
}

# What the app's manifest asks for (DESIGN.md §3): the default grant of a new installation.
DEFAULT_PERMISSIONS = {
    "contents": "write", "issues": "write", "pull_requests": "write",
    "checks": "write", "metadata": "read", "security_events": "read",
}
LEVELS = {"read": 1, "write": 2, "admin": 3}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # User | Bot | Organization


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: User
    permissions: dict[str, str]
    events: list[str]
    bot: User


@dataclass
class Installation:
    id: int
    app: App
    account: User
    permissions: dict[str, str]
    repository_selection: str  # all | selected
    repo_ids: set[int] = field(default_factory=set)
    created_at: datetime = field(default_factory=now)

    def covers(self, repo: Repo) -> bool:
        if self.repository_selection == "all":
            return repo.owner.login.lower() == self.account.login.lower()
        return repo.id in self.repo_ids


@dataclass
class Token:
    value: str
    installation: Installation | None  # None: a personal access token
    repo_ids: frozenset[int] | None  # None: every repository of the installation
    permissions: dict[str, str]
    expires_at: datetime
    user: User | None = None  # a personal access token acts as this user

    def allows(self, perm: str, level: str) -> bool:
        return LEVELS.get(self.permissions.get(perm, ""), 0) >= LEVELS[level]


@dataclass
class Reaction:
    id: int
    user: User
    content: str
    created_at: datetime = field(default_factory=now)


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: User
    via_app: App | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: User
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    is_pull: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    closed_at: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Pull:
    number: int
    id: int
    head_repo: Repo
    head_ref: str
    base_ref: str
    last_head: str = ""  # the head commit when the branch was last seen (kept if it goes)
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False

    def head_sha(self) -> str:
        self.last_head = self.head_repo.refs.get(f"refs/heads/{self.head_ref}", self.last_head)
        return self.last_head


@dataclass
class Review:
    id: int
    pull_number: int
    user: User
    body: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | PENDING
    commit_id: str
    submitted_at: datetime | None = field(default_factory=now)


@dataclass
class ReviewComment:
    id: int
    pull_number: int
    review_id: int
    user: User
    body: str
    path: str
    commit_id: str
    side: str | None
    line: int | None
    start_line: int | None = None
    start_side: str | None = None
    diff_hunk: str = ""
    position: int | None = None
    subject_type: str = "line"
    in_reply_to_id: int | None = None
    via_app: App | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    app: App
    status: str = "queued"
    conclusion: str | None = None
    started_at: datetime | None = field(default_factory=now)
    completed_at: datetime | None = None
    details_url: str | None = None
    external_id: str | None = None
    output: dict = field(default_factory=dict)
    check_suite_id: int = 0


@dataclass
class CodeScanningAlert:
    """An alert as a scanner's analysis left it on `ref` (set by tests: the fake runs no tool)."""

    number: int
    rule_id: str
    rule_description: str
    tool: str
    path: str
    start_line: int
    end_line: int
    ref: str
    commit_sha: str
    message: str = ""
    severity: str | None = "warning"  # none | note | warning | error
    security_severity: str | None = None  # low | medium | high | critical
    state: str = "open"
    created_at: datetime = field(default_factory=now)


@dataclass
class HookDelivery:
    """One attempt to deliver an event to the App's webhook; redeliveries share the guid."""

    id: int
    guid: str
    event: str
    action: str | None
    status_code: int  # 0 when GitHub could not connect at all
    delivered_at: datetime
    redelivery: bool = False
    installation_id: int | None = None
    repository_id: int | None = None

    @property
    def status(self) -> str:
        # GitHub's own wording: "OK" for 2xx, the reason otherwise.
        if self.status_code == 0:
            return "failed to connect"
        return "OK" if 200 <= self.status_code < 300 else f"Invalid HTTP Response: {self.status_code}"


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    default_branch: str
    private: bool = True
    description: str | None = None
    fork_of: Repo | None = None
    created_at: datetime = field(default_factory=now)
    git: ObjectStore = field(default_factory=ObjectStore)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> sha
    issues: dict[int, Issue] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    labels: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> role
    reviews: dict[int, Review] = field(default_factory=dict)
    review_comments: dict[int, ReviewComment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    code_scanning_alerts: dict[int, CodeScanningAlert] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1

    def resolve(self, ref: str) -> str | None:
        """A commit id for a branch, tag, `heads/x`, `refs/...`, `pull/N/head` (GitHub keeps
        that ref for every PR, forks included), or a (short) commit id."""
        for name in (ref, f"refs/{ref}", f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if name in self.refs:
                return self.refs[name]
        m = re.fullmatch(r"(?:refs/)?pull/(\d+)/head", ref)
        if m and int(m[1]) in self.pulls:
            return self.pulls[int(m[1])].head_sha()
        if len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref.lower()):
            found = [s for s in self.git.objects if s.startswith(ref.lower())]
            if len(found) == 1 and self.git.is_commit(found[0]):
                return found[0]
        return None

    def commit(self, ref: str) -> Commit | None:
        sha = self.resolve(ref)
        return self.git.read_commit(sha) if sha else None

    def read_file(self, ref: str, path: str) -> str | None:
        """The text of `path` at `ref`, or None when absent (assertion helper)."""
        c = self.commit(ref)
        entry = self.git.lookup(c.tree, path) if c else None
        if entry is None or entry.kind != "blob":
            return None
        return self.git.raw(entry.sha, "blob").decode()

    def role_of(self, user: User) -> str:
        """The user's role here: admin | maintain | write | triage | read | none."""
        if user.login.lower() == self.owner.login.lower():
            return "admin"
        return self.collaborators.get(user.login.lower(), "none" if self.private else "read")

    def branch(self, name: str) -> str | None:
        return self.refs.get(f"refs/heads/{name}")


class World:
    """All records, plus the id counters; guarded by the server's lock."""

    def __init__(self) -> None:
        self._ids = {k: itertools.count(v + 1) for k, v in ID_BASES.items()}
        self.users: dict[str, User] = {}
        self.apps: dict[int, App] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, Repo] = {}  # lower-cased full name -> repo
        self.deliveries: list[HookDelivery] = []  # the App webhook's attempts, oldest first

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def user(self, login: str, type: str | None = None) -> User:
        """The user called `login`, created on first mention."""
        key = login.lower()
        if key not in self.users:
            kind = type or ("Bot" if login.endswith("[bot]") else "User")
            self.users[key] = User(login, self.next_id("user"), kind)
        elif type:
            self.users[key].type = type
        return self.users[key]

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def installation_for(self, repo: Repo) -> Installation | None:
        return next((i for i in self.installations.values() if i.covers(repo)), None)
