"""The pull request review half of GitHubRepoClient: read a PR and its files, post one review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from workers.github.comments import issue_from
from workers.github.port import Issue, PullFile, PullRequest, Review, ReviewCommentDraft


def pull_from(data: Any) -> PullRequest:
    # A fork that was deleted leaves `head.repo` null; "" then reads as "not this repository".
    head_repo = getattr(data.head, "repo", None)
    return PullRequest(
        number=data.number,
        html_url=data.html_url,
        title=data.title,
        head_ref=data.head.ref,
        head_sha=data.head.sha,
        base_ref=data.base.ref,
        draft=bool(getattr(data, "draft", False)),
        state=data.state,
        head_repo_full_name=(getattr(head_repo, "full_name", "") or "") if head_repo else "",
        body=getattr(data, "body", None) or "",
    )


def _comment_payload(comment: ReviewCommentDraft) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "path": comment.path,
        "line": comment.line,
        "side": comment.side,
        "body": comment.body,
    }
    # GitHub wants start_line only for multi-line comments; equal to `line` it is refused.
    if comment.start_line is not None and comment.start_line < comment.line:
        payload["start_line"] = comment.start_line
        payload["start_side"] = comment.side
    return payload


class PullsMixin:
    """Needs the host class's `owner`, `repo`, `_github`, `_rest` and its `_call` error mapping."""

    owner: str
    repo: str
    own_login: str | None
    _github: Any
    _rest: Any
    _call: Callable[..., Any]
    _create: Callable[..., Any]
    _paginate: Callable[..., list[Any]]
    _issues: dict[int, Issue]

    def get_pull(self, number: int) -> PullRequest:
        data = self._call(self._rest.pulls.get, self.owner, self.repo, number)
        # A pull request is an issue too: what it says of its thread (how many comments, so
        # which page is the newest) spares the comment reader a GET of the issue.
        self._issues[number] = replace(issue_from(data), is_pull_request=True)
        return pull_from(data)

    def list_pull_files(self, number: int) -> list[PullFile]:
        items = self._paginate(self._rest.pulls.list_files, pull_number=number)
        return [
            PullFile(path=item.filename, status=item.status, patch=getattr(item, "patch", None))
            for item in items
        ]

    def find_review(self, number: int, marker: str) -> Review | None:
        reviews = self._paginate(self._rest.pulls.list_reviews, pull_number=number)
        for item in reviews:
            login = getattr(getattr(item, "user", None), "login", None)
            # Only the app's own review: another bot quoting the marker is not an answer.
            if marker in (item.body or "") and self.own_login is not None and login == self.own_login:
                return Review(id=item.id, html_url=item.html_url)
        return None

    def create_review(
        self, number: int, commit_id: str, body: str, comments: list[ReviewCommentDraft]
    ) -> Review:
        data = self._create(
            self._rest.pulls.create_review,
            self.owner,
            self.repo,
            number,
            data={
                # Pinning the commit makes GitHub refuse the review, instead of misplacing
                # its lines, when the PR moved on while the fix was computed.
                "commit_id": commit_id,
                "body": body,
                "event": "COMMENT",
                "comments": [_comment_payload(c) for c in comments],
            },
        )
        return Review(id=data.id, html_url=data.html_url)
