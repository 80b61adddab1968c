"""The route table: one small handler per GitHub operation, its context, replies and errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .spec import Operation, Spec, compile_template, literal_weight

if TYPE_CHECKING:
    from .fake import FakeGitHub
    from .shapes import Shapes
    from .state import App, Repo, Token, User, World

# (permission, level) pairs; a route needs any one of them, as GitHub's fine-grained docs list.
Perms = tuple[tuple[str, str], ...]


@dataclass
class Route:
    method: str
    template: str
    handler: Callable[[Ctx], Reply]
    auth: str  # "app" (JWT) | "installation" (installation token) | "none"
    perms: Perms
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.pattern = compile_template(self.template)


ROUTES: list[Route] = []


def route(method: str, template: str, *, auth: str = "installation",
          perms: Perms = ()) -> Callable[[Callable[[Ctx], Reply]], Callable[[Ctx], Reply]]:
    """Register a handler for a documented operation; adding a route is one decorated function."""

    def register(fn: Callable[[Ctx], Reply]) -> Callable[[Ctx], Reply]:
        ROUTES.append(Route(method.lower(), template, fn, auth, perms))
        return fn

    return register


class ApiError(Exception):
    """A GitHub error reply. `failure` marks it as something the test must hear about."""

    def __init__(self, status: int, message: str, *, errors: list[Any] | None = None,
                 failure: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors
        self.failure, self.headers = failure, headers or {}


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(message: str, *errors: Any) -> ApiError:
    return ApiError(422, message, errors=list(errors) or [message])


# Fine-grained permissions per route, as GitHub's "permissions required" tables list them.
METADATA_READ: Perms = (("metadata", "read"),)
CONTENTS_READ: Perms = (("contents", "read"),)
CONTENTS_WRITE: Perms = (("contents", "write"),)
# Issue endpoints also serve pull requests, so either permission opens them.
ISSUES_READ: Perms = (("issues", "read"), ("pull_requests", "read"))
ISSUES_WRITE: Perms = (("issues", "write"), ("pull_requests", "write"))
PULLS_READ: Perms = (("pull_requests", "read"),)
PULLS_WRITE: Perms = (("pull_requests", "write"),)
CHECKS_READ: Perms = (("checks", "read"),)
CHECKS_WRITE: Perms = (("checks", "write"),)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a non-JSON body (tarballs, raw file content)
    validate: bool = True


@dataclass
class Ctx:
    fake: FakeGitHub
    route: Route
    operation: Operation
    params: dict[str, Any]
    query: dict[str, str]
    body: Any
    url: str  # the request's full URL, for Link headers
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    app: App | None = None
    token: Token | None = None
    repo: Repo | None = None

    @property
    def world(self) -> World:
        return self.fake.world

    @property
    def shapes(self) -> Shapes:
        return self.fake.shapes

    @property
    def actor(self) -> User:
        """Whom a write is made as: a personal access token's user, else the App's bot."""
        if self.token is not None and self.token.user is not None:
            return self.token.user
        return self.fake.app.bot

    @property
    def acting_app(self) -> App | None:
        """The App a write is `performed_via`; None for a personal access token."""
        if self.token is not None and self.token.user is not None:
            return None
        return self.fake.app

    @property
    def the_repo(self) -> Repo:
        assert self.repo is not None
        return self.repo

    def page(self, items: list[Any]) -> Reply:
        """One page of a list, with GitHub's `Link` header (per_page ≤ 100, default 30)."""
        per_page = min(int(self.params.get("per_page") or 30), 100)
        page = max(int(self.params.get("page") or 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []
        for rel, n in (("prev", page - 1), ("next", page + 1), ("first", 1), ("last", last)):
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                query = {**self.query, "per_page": str(per_page), "page": str(n)}
                links.append(f'<{self.url.split("?", 1)[0]}?{urlencode(query)}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        return Reply(200, items[(page - 1) * per_page: page * per_page], headers)


class Router:
    """Matches request paths to registered routes; each must be a documented operation."""

    def __init__(self, spec: Spec, routes: list[Route]) -> None:
        self.entries: list[tuple[Route, Operation]] = []
        for r in sorted(routes, key=lambda r: literal_weight(r.template)):
            op = spec.operations.get((r.method, r.template))
            if op is None:
                where = ("is trimmed out of tests/data/github/openapi: re-run "
                         "scripts/trim_openapi.py" if (r.method, r.template) in spec.stubs
                         else "is not in GitHub's OpenAPI")
                raise LookupError(f"{r.method.upper()} {r.template} {where}")
            self.entries.append((r, op))
        self.by_name = {}
        for _, op in self.entries:
            self.by_name[op.operation_id] = op
            self.by_name[op.key] = op

    def match(self, method: str, path: str) -> tuple[Route, Operation, dict[str, str]] | None:
        for r, op in self.entries:
            if r.method == method.lower():
                m = r.pattern.match(path)
                if m:
                    return r, op, m.groupdict()
        return None

    def operation(self, name: str) -> Operation:
        """An implemented operation by id (`pulls/create`) or `METHOD /template`."""
        if name not in self.by_name:
            raise KeyError(f"the fake implements no route {name!r}")
        return self.by_name[name]
