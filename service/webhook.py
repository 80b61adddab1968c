"""POST /api/github/webhooks: headers → raw body (spooled, hashed) → verify → parse → decide → enqueue.

Whatever can be refused from the headers alone is refused before a byte of the body is read:
a missing or malformed signature, event or delivery header, a declared length over the limit.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from service.bodies import MEMORY_SHARES, BodyTooLarge, SpoolBudget, SpoolFull, read_spooled
from service.dispatch import Dispatcher
from service.signature import SIGNATURE_HEADER
from workers.app.credentials import LiveWebhookSecret

log = logging.getLogger("iquest.webhook")

WEBHOOK_PATH = "/api/github/webhooks"

# GitHub's forms: `sha256=` and 64 lowercase hex digits; event names like `pull_request_review`;
# delivery ids are GUIDs (redeliveries and tools use other short ids, so any short token).
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
_EVENT = re.compile(r"[a-z_]{1,64}")
_DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,128}")

__all__ = ["WEBHOOK_PATH", "BodyTooLarge", "build_webhook_endpoint", "read_limited_body"]


def _answer(code: int, fields: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(fields), status_code=code, media_type="application/json",
                    headers=headers)


async def read_limited_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    # Chunked or lying clients: stop reading as soon as the limit is passed.
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _header_problem(request: Request) -> Response | None:
    headers = request.headers
    if not _SIGNATURE.fullmatch(headers.get(SIGNATURE_HEADER, "")):
        return _answer(401, {"error": "missing or invalid X-Hub-Signature-256"})
    if not _EVENT.fullmatch(headers.get("x-github-event", "")) or not _DELIVERY.fullmatch(
        headers.get("x-github-delivery", "")
    ):
        return _answer(400, {"error": "missing or malformed X-GitHub-Event or X-GitHub-Delivery header"})
    return None


def build_webhook_endpoint(
    secret: LiveWebhookSecret, dispatcher: Dispatcher, max_body_bytes: int,
    memory_bytes: int = 256 * 1024, spool: SpoolBudget | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """A plain Starlette endpoint: the hot path skips FastAPI's per-request dependency solving."""
    budget = spool or SpoolBudget(256 * 1024 * 1024)
    memory = SpoolBudget(MEMORY_SHARES * memory_bytes)

    async def receive_webhook(request: Request) -> Response:
        refused = _header_problem(request)
        if refused is not None:
            if refused.status_code == 401:
                dispatcher.metrics.count_delivery("-", "unauthorized")
            return refused
        try:
            body = await read_spooled(request, max_body_bytes, memory_bytes, budget, memory)
        except BodyTooLarge:
            return _answer(413, {"error": f"payload larger than {max_body_bytes} bytes"})
        except SpoolFull:
            log.warning("webhook refused: bodies in flight fill the spool budget (%d bytes)",
                        budget.limit)
            return _answer(503, {"error": "too many large deliveries in flight, retry later"},
                           {"Retry-After": "5"})
        except ClientDisconnect:
            log.debug("webhook client went away before its body was in")
            return Response(status_code=400)  # nobody is left to read it
        try:
            # Nothing is parsed or trusted before the signature checks out.
            signature = request.headers[SIGNATURE_HEADER].removeprefix("sha256=")
            # A failure may mean /setup (or another process) just saved a new secret in .env.
            if not hmac.compare_digest(body.hmac_hex(secret()), signature) and not (
                secret.reload() and hmac.compare_digest(body.hmac_hex(secret()), signature)
            ):
                dispatcher.metrics.count_delivery("-", "unauthorized")
                return _answer(401, {"error": "missing or invalid X-Hub-Signature-256"})
            raw = body.read()
        finally:
            body.close()
        event = request.headers["x-github-event"]
        delivery_id = request.headers["x-github-delivery"]
        try:
            payload = json.loads(raw)
        except ValueError:
            return _answer(400, {"error": "body is not valid JSON"})
        except RecursionError:
            # Signed, yet nested past Python's recursion limit: no GitHub event looks like this.
            return _answer(400, {"error": "body is nested too deeply"})
        if not isinstance(payload, dict):
            return _answer(400, {"error": "body is not a JSON object"})
        outcome = await dispatcher.dispatch(event, delivery_id, payload)
        return _answer(outcome.status, outcome.body)

    return receive_webhook
