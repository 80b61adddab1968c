"""The review thread half of GitHubRepoClient: read reviews and inline comments, reply in a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.github.port import GitCommit, ReviewComment, SubmittedReview


def _login(data: Any) -> tuple[str, bool]:
    user = getattr(data, "user", None)
    login = getattr(user, "login", "") or ""
    return login, getattr(user, "type", "") == "Bot" or login.endswith("[bot]")


def _int_or_none(data: Any, name: str) -> int | None:
    # githubkit leaves absent fields as its UNSET sentinel, not None.
    value = getattr(data, name, None)
    return value if isinstance(value, int) else None


def review_comment_from(data: Any, own_login: str | None = None) -> ReviewComment:
    """`own_login`: the app's own bot login; None: no comment is taken for the app's."""
    author, is_bot = _login(data)
    side = getattr(data, "side", None)
    return ReviewComment(
        id=data.id,
        body=data.body or "",
        author=author,
        path=data.path,
        line=_int_or_none(data, "line"),
        start_line=_int_or_none(data, "start_line"),
        side=side if isinstance(side, str) else "RIGHT",
        in_reply_to_id=_int_or_none(data, "in_reply_to_id"),
        review_id=_int_or_none(data, "pull_request_review_id"),
        author_is_bot=is_bot,
        html_url=getattr(data, "html_url", "") or "",
        by_app=own_login is not None and author == own_login,
    )


class ReviewsMixin:
    """Needs the host class's `owner`, `repo`, `_rest`, and its `_call`/`_paginate` error mapping."""

    owner: str
    repo: str
    own_login: str | None
    _rest: Any
    _call: Callable[..., Any]
    _create: Callable[..., Any]
    _paginate: Callable[..., list[Any]]

    def list_pull_commits(self, number: int) -> list[GitCommit]:
        items = self._paginate(self._rest.pulls.list_commits, pull_number=number)
        return [
            GitCommit(
                sha=item.sha,
                tree_sha=item.commit.tree.sha,
                message=item.commit.message,
                parents=[parent.sha for parent in item.parents],
            )
            for item in items
        ]

    def get_review(self, number: int, review_id: int) -> SubmittedReview:
        data = self._call(self._rest.pulls.get_review, self.owner, self.repo, number, review_id)
        return SubmittedReview(
            id=data.id, body=data.body or "", state=data.state, author=_login(data)[0]
        )

    def list_review_comments(self, number: int, review_id: int | None = None) -> list[ReviewComment]:
        if review_id is None:
            items = self._paginate(self._rest.pulls.list_review_comments, pull_number=number)
        else:
            items = self._paginate(
                self._rest.pulls.list_comments_for_review, pull_number=number, review_id=review_id
            )
        comments = [review_comment_from(item, self.own_login) for item in items]
        return sorted(comments, key=lambda c: c.id)

    def get_review_comment(self, comment_id: int) -> ReviewComment:
        return review_comment_from(
            self._call(self._rest.pulls.get_review_comment, self.owner, self.repo, comment_id),
            self.own_login,
        )

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> ReviewComment:
        data = self._create(
            self._rest.pulls.create_reply_for_review_comment,
            self.owner,
            self.repo,
            number,
            comment_id,
            data={"body": body},
        )
        return review_comment_from(data, self.own_login)
