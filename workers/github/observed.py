"""Every HTTP attempt to GitHub reported with its templated route, status and remaining rate limit.

githubkit formats the URL before sending, so the transport alone would see raw paths (one
label per issue number). The route template is taken from the githubkit operation being
called — its docstring's second line reads `GET /repos/{owner}/{repo}/...` — and carried to
the transport in a context variable; retries, pagination and redirects inside githubkit
keep the route of the call that caused them.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import httpx

# (route, status, X-RateLimit-Remaining or None)
ObserveResponse = Callable[[str, str, str | None], None]

UNKNOWN_ROUTE = "other"
_ROUTE_LINE = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/\S*)\s*$", re.M)
_current_route: ContextVar[str] = ContextVar("iquest_github_route", default=UNKNOWN_ROUTE)


@functools.lru_cache(maxsize=512)
def _route_of_function(function: object) -> str:
    match = _ROUTE_LINE.search(getattr(function, "__doc__", None) or "")
    return f"{match.group(1)} {match.group(2)}" if match else UNKNOWN_ROUTE


def route_of(operation: object) -> str:
    """`GET /repos/{owner}/{repo}` for a githubkit REST operation (bound method or function)."""
    return _route_of_function(getattr(operation, "__func__", operation))


@contextlib.contextmanager
def github_route(operation: object) -> Iterator[None]:
    token = _current_route.set(route_of(operation))
    try:
        yield
    finally:
        _current_route.reset(token)


class ObservedTransport(httpx.BaseTransport):
    """An httpx transport that reports each attempt, then hands the response on untouched."""

    def __init__(self, observe: ObserveResponse, inner: httpx.BaseTransport | None = None) -> None:
        self._observe = observe
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = _current_route.get()
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError:
            self._observe(route, "error", None)
            raise
        self._observe(route, str(response.status_code), response.headers.get("x-ratelimit-remaining"))
        return response

    def close(self) -> None:
        self._inner.close()
