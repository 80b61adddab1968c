"""GitHubPort over githubkit: one installation token, one repository, REST 2022-11-28."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed

from workers.github.checks import ChecksMixin
from workers.github.code_scanning import CodeScanningMixin
from workers.github.comments import CommentsMixin, RememberedComments
from workers.github.git_data import GitDataMixin
from workers.github.identity import IdentityMixin
from workers.github.observed import github_route
from workers.github.port import (
    Comment,
    GitHubError,
    Issue,
    Permission,
    ReactionTarget,
    Repository,
)
from workers.github.pulls import PullsMixin
from workers.github.retry import CappedRetry
from workers.github.reviews import ReviewsMixin
from workers.github.tokens import REST_VERSION


def _as_github_error(error: RequestError) -> GitHubError:
    if not isinstance(error, RequestFailed):
        # No answer at all (refused, reset, timed out): GitHub or the network is down for a
        # while, which a later retry may not find.
        return GitHubError(f"could not reach GitHub: {error.exc!r}", None, transient=True)
    status = error.response.status_code
    return GitHubError(
        f"GitHub answered {status} to {error.request.method} {error.request.url.path}",
        status,
        transient=status >= 500 or isinstance(error, RateLimitExceeded),
    )


# githubkit names its REST operations after the verb: anything else changes something.
_READ_VERBS = ("get", "list", "download")


class GitHubRepoClient(
    CommentsMixin, GitDataMixin, PullsMixin, ReviewsMixin, ChecksMixin, IdentityMixin,
    CodeScanningMixin,
):
    """Implements workers.github.port.GitHubPort for one repository, for one job."""

    def __init__(
        self,
        full_name: str,
        token: str,
        api_url: str,
        retry: CappedRetry,
        before_create: Callable[[], object] = lambda: None,
        transport: httpx.BaseTransport | None = None,
        remembered: RememberedComments | None = None,
        before_write: Callable[[], object] = lambda: None,
        own_login: str | None = None,
    ) -> None:
        """`own_login`: the login the app writes as (`<slug>[bot]`, or a token's user); only
        comments and reviews by it are taken for the app's own."""
        self.full_name = full_name
        self.own_login = own_login
        # Where the app's marked comments are, across jobs (None: found by marker each time).
        self.remembered = remembered
        self._issues: dict[int, Issue] = {}
        self._pages: dict[int, list[Comment]] = {}
        # Called before every content-creating write (comments, reviews, pull requests).
        self._before_create = before_create
        # Called before every write of any kind: a cancelled job stops here.
        self._before_write = before_write
        self.owner, self.repo = full_name.split("/", 1)
        # `transport`: the worker's ObservedTransport, which counts every attempt.
        self._github = GitHub(
            TokenAuthStrategy(token), base_url=api_url, auto_retry=retry, transport=transport
        )
        # Inside its context githubkit keeps one connection pool; outside it builds a new
        # HTTP client (and TLS context) for every call.
        self._github.__enter__()
        self._rest = self._github.rest(REST_VERSION)

    def close(self) -> None:
        self._github.__exit__(None, None, None)

    def get_repository(self) -> Repository:
        data = self._call(self._rest.repos.get, self.owner, self.repo)
        return Repository(full_name=data.full_name, default_branch=data.default_branch)

    def get_permission(self, login: str) -> Permission:
        try:
            data = self._call(
                self._rest.repos.get_collaborator_permission_level, self.owner, self.repo, login
            )
        except GitHubError as error:
            if error.status == 404:  # not a collaborator at all
                return Permission.NONE
            raise
        # `permission` is the legacy four-level value (maintain reads as write, triage as
        # read); `role_name` carries the real role, custom roles aside.
        for value in (getattr(data, "role_name", None), data.permission):
            try:
                return Permission(value)
            except ValueError:
                continue
        return Permission.NONE

    def read_file(self, path: str, ref: str | None = None) -> str | None:
        kwargs = {"ref": ref} if ref else {}
        try:
            data = self._call(self._rest.repos.get_content, self.owner, self.repo, path, **kwargs)
        except GitHubError as error:
            if error.status == 404:
                return None
            raise
        content = getattr(data, "content", None)
        if getattr(data, "type", None) != "file" or content is None:
            return None
        return base64.b64decode(content).decode("utf-8", errors="replace")

    def add_reaction(self, target: ReactionTarget, target_id: int, content: str) -> None:
        create = {
            ReactionTarget.ISSUE: self._rest.reactions.create_for_issue,
            ReactionTarget.ISSUE_COMMENT: self._rest.reactions.create_for_issue_comment,
            ReactionTarget.REVIEW_COMMENT: self._rest.reactions.create_for_pull_request_review_comment,
        }[target]
        # GitHub answers 200 instead of 201 when the reaction already exists: idempotent.
        self._call(create, self.owner, self.repo, target_id, data={"content": content})

    def _paginate(self, operation, **kwargs):  # type: ignore[no-untyped-def]
        """Every page of a list operation on this repository.

        Pages are followed while GitHub's Link header names a next one: githubkit's own
        paginator asks for one more page until it gets an empty one, a call per list wasted.
        """
        kwargs.update(owner=self.owner, repo=self.repo, per_page=100)
        items: list = []
        page = 1
        while True:
            response = self._raw(operation, page=page, **kwargs)
            items.extend(response.parsed_data)
            if 'rel="next"' not in response.headers.get("link", ""):
                return items
            page += 1

    def _call(self, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self._raw(operation, *args, **kwargs).parsed_data

    def _create(self, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A content-creating write, paced so the installation stays under GitHub's limits."""
        self._before_create()
        return self._call(operation, *args, **kwargs)

    def _raw(self, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not getattr(operation, "__name__", "").startswith(_READ_VERBS):
            self._before_write()
        try:
            with github_route(operation):
                return operation(*args, **kwargs)
        except RequestError as error:
            raise _as_github_error(error) from error
