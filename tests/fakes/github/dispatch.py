"""One request through the fake: route, API version, auth, validation, faults, handler, checks."""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import auth
from .manifest_flow import WEB_PATH, serve_new_app_form
from .routes.contents import serve_codeload
from .routing import ApiError, Ctx, Reply
from .shapes.core import DOCS, CoreShapes
from .spec import Operation

if TYPE_CHECKING:
    from .fake import FakeGitHub

API_VERSION = "2022-11-28"
# githubkit's App auth flow builds this request itself, without X-GitHub-Api-Version;
# GitHub then answers as 2022-11-28, the version the fake speaks, so that is no failure.
VERSIONLESS_OK = {"apps/create-installation-access-token"}


@dataclass
class Call:
    """One request as the fake saw it (for call counts and the request log)."""

    method: str
    path: str
    query: dict[str, str]
    operation_id: str | None
    template: str | None
    body: Any = None
    status: int = 0
    fault: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (rates, waits)


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


def coerce(value: str, kind: str | None) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


class Dispatcher:
    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> HttpReply:
        split = urlsplit(target)
        path, query = split.path, dict(parse_qsl(split.query, keep_blank_values=True))
        lower = {k.lower(): v for k, v in headers.items()}
        call = Call(method, path, query, None, None, headers=lower)
        self.fake.log.append(call)
        if path.startswith("/_codeload/"):
            return self.encode(call, serve_codeload(self.fake, call, path, query))
        web = WEB_PATH.match(path)
        if web:  # github.com's web form, not the REST API: no OpenAPI operation to check
            call.status, web_headers, web_body = serve_new_app_form(
                self.fake, call, raw, web.group("org"))
            return HttpReply(call.status, web_headers, web_body)
        found = self.fake.router.match(method, path)
        if found is None:
            known = self.fake.spec.match_any(method, path)
            self.fake.fail(call, "unknown route: " + (
                f"GitHub's {known.operation_id} ({known.key}) is not implemented by the fake"
                if known else "GitHub has no such route"))
            return self.encode(call, Reply(404, CoreShapes.error("Not Found")))
        route, op, raw_params = found
        call.operation_id, call.template = op.operation_id, op.template
        try:
            self.check_version(call, op, lower.get("x-github-api-version"))
            ctx = Ctx(self.fake, route, op, {}, query, None, self.fake.url + target, lower)
            self.authenticate(ctx, raw_params, lower.get("authorization"))
            ctx.params = self.parse_params(op, raw_params, query)
            ctx.body = call.body = self.parse_body(op, raw)
            fault = self.fake.faults.take(op.operation_id, op.key)
            if fault is not None:
                call.fault = fault.kind
                reply = fault.reply(self.simple_422(op))
                reply.validate = str(reply.status) in op.responses
            else:
                reply = route.handler(ctx)
        except ApiError as exc:
            if exc.failure:
                self.fake.fail(call, f"{exc.status}: {exc.failure}")
            reply = self.error_reply(op, exc)
        return self.encode(call, self.checked(call, op, reply))

    def check_version(self, call: Call, op: Operation, version: str | None) -> None:
        if version is None:
            if op.operation_id not in VERSIONLESS_OK:
                # githubkit's paginator sends it on later pages only if the caller passed
                # headers=... to paginate(); GitHub would fall back to 2022-11-28 silently.
                self.fake.fail(call, f"no X-GitHub-Api-Version header (pin {API_VERSION}; "
                                     "githubkit's paginate() needs headers=... for it)")
        elif version != API_VERSION:
            raise ApiError(400, f"Unsupported 'X-GitHub-Api-Version' header: {version!r}",
                           failure=f"X-GitHub-Api-Version is {version!r}; the fake speaks "
                                   f"{API_VERSION}")

    def authenticate(self, ctx: Ctx, raw_params: dict[str, str], header: str | None) -> None:
        fake = self.fake
        if ctx.route.auth == "none":
            return
        if ctx.route.auth == "app":
            ctx.app = auth.verify_jwt(fake.app, fake.public_key, header)
            return
        ctx.token = auth.installation_token(fake.world, header)
        if "owner" in raw_params and "repo" in raw_params:
            repo = fake.world.repo(f"{unquote(raw_params['owner'])}/{unquote(raw_params['repo'])}")
            ctx.repo = auth.check_repo_access(ctx.token, repo, ctx.route)

    def parse_params(self, op: Operation, raw: dict[str, str], query: dict[str, str]) -> dict:
        out: dict[str, Any] = {}
        for p in op.params:
            if p.location == "path":
                value = unquote(raw[p.name])
            elif p.location == "query" and p.name in query:
                value = query[p.name]
            else:
                continue
            out[p.name] = coerce(value, p.type)
            errors = self.fake.spec.errors(p.pointer, out[p.name])
            if errors:
                # A malformed path segment is simply another URL to GitHub: 404.
                status = 404 if p.location == "path" else 422
                raise ApiError(status, "Not Found" if status == 404 else "Invalid request.",
                               failure=f"{p.location} parameter {p.name}={value!r}: {errors[0]}")
        return out

    def parse_body(self, op: Operation, raw: bytes) -> Any:
        if op.body_pointer is None:
            return None
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise ApiError(400, "Problems parsing JSON",
                           failure=f"request body is not JSON: {exc}") from exc
        errors = self.fake.spec.errors(op.body_pointer, body)
        if errors:
            raise ApiError(422, "Invalid request.\n\n" + "\n".join(errors),
                           failure="request body does not match GitHub's schema: "
                                   + "; ".join(errors))
        return body

    @staticmethod
    def simple_422(op: Operation) -> bool:
        return "simple" in (op.responses.get("422") or "")  # validation_failed_simple

    def error_reply(self, op: Operation, exc: ApiError) -> Reply:
        if exc.status == 422:
            body = CoreShapes.validation_error(exc.message, exc.errors or [exc.message],
                                               simple=self.simple_422(op))
        else:
            body = CoreShapes.error(exc.message, exc.status)
        return Reply(exc.status, body, exc.headers)

    def checked(self, call: Call, op: Operation, reply: Reply) -> Reply:
        """Validate the reply against the operation's documented response; a miss is a fake bug."""
        if reply.raw is not None or not reply.validate:
            return reply
        status = str(reply.status)
        if status in op.responses:
            pointer = op.responses[status]
        elif reply.status >= 400:
            pointer = "/components/schemas/" + (
                "validation-error" if reply.status == 422 else "basic-error")
        else:
            pointer, problem = None, f"status {status} is not documented for {op.key}"
            return self.fake_bug(call, problem)
        if pointer is None:
            if reply.body is not None:
                return self.fake_bug(call, f"{status} of {op.key} documents no body")
            return reply
        errors = self.fake.spec.errors(pointer, reply.body)
        if errors:
            return self.fake_bug(call, f"{status} body of {op.key} breaks {pointer}: {errors}")
        return reply

    def fake_bug(self, call: Call, problem: str) -> Reply:
        print(f"fake GitHub: FAKE BUG on {call.method} {call.path}: {problem}", file=sys.stderr)
        self.fake.fail(call, "FAKE BUG (invalid response): " + problem)
        return Reply(500, {"message": "fake GitHub built an invalid response: " + problem,
                           "documentation_url": DOCS}, validate=False)

    def encode(self, call: Call, reply: Reply) -> HttpReply:
        call.status = reply.status
        headers = {
            "X-GitHub-Api-Version-Selected": API_VERSION,
            "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(5000 - len(self.fake.log), 1)),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": str(min(len(self.fake.log), 4999)),
            "x-ratelimit-resource": "core",
        }
        headers.update(reply.headers)
        if reply.raw is not None:
            return HttpReply(reply.status, headers, reply.raw)
        if reply.body is None:
            return HttpReply(reply.status, headers, b"")
        headers["Content-Type"] = "application/json; charset=utf-8"
        return HttpReply(reply.status, headers, json.dumps(reply.body).encode())
