"""The issue-thread half of GitHubRepoClient: the issue, its newest comments, the app's marked comments.

A client serves one job, so what it has read it keeps (the issue, one page of comments) with
the job's own writes applied: no call is repeated within a job, and the cost of a job does not
grow with the length of the thread. Where the app's marked comments (the status comment) are
is remembered across jobs in Redis, so they are edited directly instead of searched for.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any, Protocol

from workers.github.port import Comment, GitHubError, Issue

# GitHub's largest page, and the smallest page size this reads with (see _last_page).
PAGE_SIZE = 100
MIN_PAGE_SIZE = 50


class KeyValueStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: str, ex: int | None = None) -> object: ...

    def delete(self, *keys: str) -> object: ...


class RememberedComments:
    """Comment ids of the app's marked comments, per repository, thread and marker, with a TTL."""

    def __init__(self, store: KeyValueStore, ttl_seconds: int) -> None:
        self._store = store
        self._ttl = ttl_seconds

    @staticmethod
    def key(full_name: str, number: int, marker: str) -> str:
        digest = hashlib.sha256(marker.encode()).hexdigest()[:16]
        # "own-": ids remembered while any bot's marked comment counted as the app's are not
        # trusted any more.
        return f"iquest:own-comment:{full_name}#{number}:{digest}"

    def get(self, full_name: str, number: int, marker: str) -> int | None:
        value = self._store.get(self.key(full_name, number, marker))
        return int(value) if value else None

    def remember(self, full_name: str, number: int, marker: str, comment_id: int) -> None:
        self._store.set(self.key(full_name, number, marker), str(comment_id), ex=self._ttl)

    def forget(self, full_name: str, number: int, marker: str) -> None:
        self._store.delete(self.key(full_name, number, marker))


def comment_from(data: Any, own_login: str | None = None) -> Comment:
    """`own_login`: the app's own bot login (`<slug>[bot]`); None: nothing counts as the app's."""
    user = getattr(data, "user", None)
    login = getattr(user, "login", "") or ""
    association = getattr(data, "author_association", "") or ""
    return Comment(
        id=data.id,
        body=getattr(data, "body", None) or "",
        author=login,
        author_is_bot=getattr(user, "type", "") == "Bot" or login.endswith("[bot]"),
        association=str(getattr(association, "value", association)),
        by_app=own_login is not None and login == own_login,
    )


def issue_from(data: Any) -> Issue:
    labels = [
        label if isinstance(label, str) else (getattr(label, "name", "") or "")
        for label in (data.labels or [])
    ]
    return Issue(
        number=data.number,
        title=data.title,
        body=data.body or "",
        author=getattr(data.user, "login", "") or "",
        state=data.state,
        is_pull_request=bool(getattr(data, "pull_request", None)),
        labels=labels,
        comments=data.comments if isinstance(data.comments, int) else 0,
    )


def last_page(total: int) -> tuple[int, int]:
    """(per_page, page) of one call that reads a thread's newest comments: all of them up to
    100, else the page size (50-100) whose last page holds the most, so at least 50."""
    if total <= PAGE_SIZE:
        return PAGE_SIZE, 1
    per_page = max(range(PAGE_SIZE, MIN_PAGE_SIZE - 1, -1), key=lambda size: total % size or size)
    return per_page, math.ceil(total / per_page)


def _find_marked(comments: list[Comment], marker: str) -> Comment | None:
    # A human, or another bot, quoting the marker does not count: only the app's own comment.
    return next((c for c in comments if marker in c.body and c.by_app), None)


class CommentsMixin:
    """Needs the host class's `full_name`, `owner`, `repo`, `_rest`, `_call`, `_create` and
    `remembered` (None: nothing is remembered across jobs)."""

    full_name: str
    owner: str
    repo: str
    _rest: Any
    _call: Callable[..., Any]
    _create: Callable[..., Any]
    remembered: RememberedComments | None
    # The app's own bot login; None: no comment is taken for the app's.
    own_login: str | None
    # What this job has read: issues by number, and each thread's newest page.
    _issues: dict[int, Issue]
    _pages: dict[int, list[Comment]]

    def get_issue(self, number: int) -> Issue:
        if number not in self._issues:
            data = self._call(self._rest.issues.get, self.owner, self.repo, number)
            self._issues[number] = issue_from(data)
        return self._issues[number]

    def list_issue_comments(self, number: int) -> list[Comment]:
        if number not in self._pages:
            self._pages[number] = self._newest_page(number)
        return list(self._pages[number])

    def _newest_page(self, number: int) -> list[Comment]:
        total = self.get_issue(number).comments
        if total == 0:
            return []
        per_page, page = last_page(total)
        items = self._call(
            self._rest.issues.list_comments,
            self.owner,
            self.repo,
            number,
            per_page=per_page,
            page=page,
        )
        return [comment_from(item, self.own_login) for item in items]

    def get_issue_comment(self, comment_id: int) -> Comment:
        for page in self._pages.values():
            for comment in page:
                if comment.id == comment_id:
                    return comment
        return comment_from(
            self._call(self._rest.issues.get_comment, self.owner, self.repo, comment_id),
            self.own_login,
        )

    def create_issue_comment(self, number: int, body: str) -> Comment:
        data = self._create(
            self._rest.issues.create_comment, self.owner, self.repo, number, data={"body": body}
        )
        comment = comment_from(data, self.own_login)
        if number in self._pages:
            self._pages[number].append(comment)
        return comment

    def update_issue_comment(self, comment_id: int, body: str) -> Comment:
        held = next((c for page in self._pages.values() for c in page if c.id == comment_id), None)
        if held is not None and not held.by_app:
            raise GitHubError(f"comment {comment_id} is not this app's; it is never edited")
        data = self._call(
            self._rest.issues.update_comment, self.owner, self.repo, comment_id, data={"body": body}
        )
        comment = comment_from(data, self.own_login)
        for page in self._pages.values():
            page[:] = [comment if c.id == comment_id else c for c in page]
        return comment

    def upsert_marked_comment(self, number: int, marker: str, body: str) -> Comment:
        known = self.remembered.get(self.full_name, number, marker) if self.remembered else None
        if known is not None:
            held = next((c for c in self._pages.get(number, []) if c.id == known), None)
            if held is not None and held.body == body:
                return held
            try:
                return self.update_issue_comment(known, body)
            except GitHubError as error:
                if error.status != 404:
                    raise
                # Someone deleted it: look again, with what this job read before forgotten.
                if self.remembered is not None:
                    self.remembered.forget(self.full_name, number, marker)
                self._issues.pop(number, None)
                self._pages.pop(number, None)
        existing = _find_marked(self.list_issue_comments(number), marker)
        if existing is None:
            comment = self.create_issue_comment(number, body)
        elif existing.body == body:
            comment = existing
        else:
            comment = self.update_issue_comment(existing.id, body)
        if self.remembered is not None:
            self.remembered.remember(self.full_name, number, marker, comment.id)
        return comment
