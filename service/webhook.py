"""POST /api/github/webhooks: raw body → verify → parse → decide → enqueue → answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from service.dispatch import Dispatcher
from service.signature import SIGNATURE_HEADER, is_valid_signature
from workers.app.credentials import LiveWebhookSecret

log = logging.getLogger("iquest.webhook")

WEBHOOK_PATH = "/api/github/webhooks"


class BodyTooLarge(Exception):
    pass


def _answer(code: int, fields: dict[str, object]) -> Response:
    return Response(json.dumps(fields), status_code=code, media_type="application/json")


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


def build_webhook_endpoint(
    secret: LiveWebhookSecret, dispatcher: Dispatcher, max_body_bytes: int
) -> Callable[[Request], Awaitable[Response]]:
    """A plain Starlette endpoint: the hot path skips FastAPI's per-request dependency solving."""

    async def receive_webhook(request: Request) -> Response:
        try:
            body = await read_limited_body(request, max_body_bytes)
        except BodyTooLarge:
            return _answer(413, {"error": f"payload larger than {max_body_bytes} bytes"})
        headers = request.headers
        # Nothing is parsed or trusted before the signature checks out.
        signature = headers.get(SIGNATURE_HEADER)
        # A failure may mean /setup (or another process) just saved a new secret in .env.
        if not is_valid_signature(secret(), body, signature) and not (
            secret.reload() and is_valid_signature(secret(), body, signature)
        ):
            dispatcher.metrics.count_delivery("-", "unauthorized")
            return _answer(401, {"error": "missing or invalid X-Hub-Signature-256"})
        event = headers.get("x-github-event")
        delivery_id = headers.get("x-github-delivery")
        if not event or not delivery_id:
            return _answer(400, {"error": "missing X-GitHub-Event or X-GitHub-Delivery header"})
        try:
            payload = json.loads(body)
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
