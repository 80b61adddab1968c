"""FakeGitHub: the server's lifecycle, fault injection, call counts, failures and read accessors."""

from __future__ import annotations

import sys
import threading
import traceback
from collections import Counter

from . import routes
from .dispatch import Call, Dispatcher, HttpReply
from .faults import Fault, FaultQueue, Hold
from .manifest_flow import PendingApp
from .routing import Router
from .seeding import Seeding
from .server import HttpServer
from .shapes import Shapes
from .skeleton import Skeletons
from .spec import Spec
from .state import (
    DEFAULT_PERMISSIONS,
    App,
    CheckRun,
    Comment,
    Issue,
    Pull,
    Repo,
    Review,
    ReviewComment,
    World,
)

FAULT_KINDS = ("server_error", "secondary_rate_limit", "primary_rate_limit", "validation_failed")
DEFAULT_EVENTS = ["issues", "issue_comment", "pull_request", "pull_request_review",
                  "pull_request_review_comment", "check_suite", "check_run", "code_scanning_alert",
                  "push"]


class FakeGitHub(Seeding):
    """A strict, stateful GitHub REST API (version 2022-11-28) on a loopback socket."""

    def __init__(self, spec: Spec, *, public_key: str, app_id: int = 1,
                 app_slug: str = "iquest-autofix", app_owner: str = "iquest-dev",
                 permissions: dict[str, str] | None = None, events: list[str] | None = None,
                 html_url: str = "https://github.com", skeletons: Skeletons | None = None,
                 private_key: str | None = None) -> None:
        self.spec, self.public_key = spec, public_key
        self.private_key = private_key  # the App's key, handed to the code under test
        self.lock = threading.RLock()
        self.world = World()
        owner = self.world.user(app_owner, "Organization")
        bot = self.world.user(f"{app_slug}[bot]", "Bot")
        self.app = App(app_id, app_slug, app_slug, owner, dict(permissions or DEFAULT_PERMISSIONS),
                       list(events or DEFAULT_EVENTS), bot)
        self.world.apps[app_id] = self.app
        self.router = Router(spec, routes.ROUTES)
        self.faults = FaultQueue()
        self.log: list[Call] = []
        self.failures: list[str] = []
        self.codeload: dict[str, tuple[str, str]] = {}  # one-off token -> (repo, commit)
        # The status code a requested redelivery gets from the (imagined) webhook receiver.
        self.redelivery_status_code = 200
        # Manifest flow: one-time codes from the web form, and what conversions registered.
        self.manifest_codes: dict[str, PendingApp] = {}
        self.registered_manifests: list[dict] = []
        self.webhook_secret: str | None = None
        # The App's webhook configuration (GET /app/hook/config): where GitHub posts events.
        self.webhook_url = "https://iquest.example.com/api/github/webhooks"
        self._dispatcher = Dispatcher(self)
        self._server = HttpServer(self.handle)
        self.url = self._server.url
        self.shapes = Shapes(skeletons or Skeletons(spec), self.world, self.url, html_url)

    @property
    def app_id(self) -> int:
        return self.app.id

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> HttpReply:
        with self.lock:
            try:
                first = len(self.log)
                reply = self._dispatcher.handle(method, target, headers, body)
                call = self.log[first]
                hold = self.faults.take_hold(call.operation_id,
                                             call.template and f"{method} {call.template}",
                                             reply.status)
            except Exception:
                trace = traceback.format_exc()
                print(trace, file=sys.stderr)
                self.failures.append(f"{method} {target}: FAKE CRASH\n{trace}")
                return HttpReply(500, {"Content-Type": "text/plain"}, trace.encode())
        # Held outside the lock: every other call goes on while this caller waits.
        if hold is not None and not hold.wait_for_release():
            with self.lock:
                self.failures.append(f"{method} {target}: hold on {hold.route} never released")
        return reply

    # failures --------------------------------------------------------------------------
    def fail(self, call: Call, detail: str) -> None:
        self.failures.append(f"{call.method} {call.path}: {detail}")

    def pop_failures(self) -> list[str]:
        """Take the recorded failures (for tests that provoke them on purpose)."""
        with self.lock:
            out, self.failures = self.failures, []
            return out

    def assert_clean(self) -> None:
        """Raise AssertionError listing every rejected request and every unused fault."""
        with self.lock:
            problems = list(self.failures) + [
                f"scheduled fault never triggered: {f.kind} on {f.route or 'any route'} "
                f"({f.times - f.used} of {f.times} left)" for f in self.faults.pending()] + [
                f"hold on {h.route} never reached" for h in self.faults.unreached_holds()]
        if problems:
            raise AssertionError("fake GitHub saw problems:\n  - " + "\n  - ".join(problems))

    # fault injection -------------------------------------------------------------------
    def inject(self, kind: str, route: str | None = None, *, times: int = 1, **options) -> Fault:
        """Make the next `times` calls to `route` (operation id, `METHOD /template`, None=any)
        fail; validation, auth and the call count still happen, state is not touched. "Any"
        includes the token mint, which githubkit's auth flow does not retry."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        if route is not None:
            self.router.operation(route)  # a typo must not silently never fire
        with self.lock:
            return self.faults.add(Fault(kind, route, times, **options))

    def fail_next(self, route: str | None = None, *, times: int = 1, status: int = 502) -> Fault:
        return self.inject("server_error", route, times=times, status=status)

    def secondary_rate_limit(self, route: str | None = None, *, times: int = 1,
                             retry_after: int = 1, status: int = 403) -> Fault:
        """403 (or 429) with `Retry-After`; keep retry_after ≥ 1 (githubkit reads 0 as 60 s)."""
        return self.inject("secondary_rate_limit", route, times=times, retry_after=retry_after,
                           status=status)

    def primary_rate_limit(self, route: str | None = None, *, times: int = 1,
                           reset_in: int = 1) -> Fault:
        """403 with x-ratelimit-remaining: 0 and x-ratelimit-reset `reset_in` s ahead."""
        return self.inject("primary_rate_limit", route, times=times, reset_in=reset_in)

    def hold_response(self, route: str, *, timeout: float = 120.0) -> Hold:
        """Hold the response of the next successful call to `route` until `release()`;
        `reached` is set once that call has done its work (see `Hold`)."""
        self.router.operation(route)  # a typo must not silently never fire
        with self.lock:
            hold = Hold(route, timeout)
            self.faults.holds.append(hold)
            return hold

    def validation_failure(self, route: str | None = None, *, times: int = 1,
                           message: str = "Validation Failed") -> Fault:
        return self.inject("validation_failed", route, times=times, message=message)

    # call counts and log ---------------------------------------------------------------
    def calls(self, route: str | None = None) -> list[Call]:
        """Logged calls, all or those of one route (operation id or `METHOD /template`)."""
        with self.lock:
            if route is None:
                return list(self.log)
            op = self.router.operation(route)
            return [c for c in self.log if c.operation_id == op.operation_id]

    def call_count(self, route: str | None = None) -> int:
        return len(self.calls(route))

    def call_counts(self) -> Counter[str]:
        with self.lock:
            return Counter(c.operation_id or f"{c.method} {c.path}" for c in self.log)

    # read accessors --------------------------------------------------------------------
    def repo(self, full_name: str) -> Repo:
        found = self.world.repo(full_name)
        if found is None:
            raise KeyError(f"no repository {full_name}")
        return found

    def issue(self, full_name: str, number: int) -> Issue:
        return self.repo(full_name).issues[number]

    def comments(self, full_name: str, number: int) -> list[Comment]:
        return list(self.issue(full_name, number).comments)

    def reactions(self, full_name: str, number: int) -> list[str]:
        return [r.content for r in self.issue(full_name, number).reactions]

    def pull(self, full_name: str, number: int) -> Pull:
        return self.repo(full_name).pulls[number]

    def pulls(self, full_name: str) -> list[Pull]:
        return list(self.repo(full_name).pulls.values())

    def reviews(self, full_name: str, number: int) -> list[Review]:
        return [r for r in self.repo(full_name).reviews.values() if r.pull_number == number]

    def review_comments(self, full_name: str, number: int) -> list[ReviewComment]:
        return [c for c in self.repo(full_name).review_comments.values()
                if c.pull_number == number]

    def check_runs(self, full_name: str) -> list[CheckRun]:
        return list(self.repo(full_name).check_runs.values())

    def refs(self, full_name: str) -> dict[str, str]:
        return dict(self.repo(full_name).refs)
