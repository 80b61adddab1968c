"""Minimal FastAPI webhook receivers that `webhook_load.py` measures `iquest serve` against.

One module, three modes chosen by BENCH_REF_MODE, each the least work a receiver of that
kind can do, on the same path as the project:

  bare    POST answers 202 without reading the body.
  verify  read the raw body, constant-time HMAC-SHA256 check of X-Hub-Signature-256
          (401 when missing or wrong), json.loads, 202.
  lpush   verify, then one LPUSH (redis.asyncio) of "<delivery>\\n<event>\\n<raw body>"
          onto BENCH_REF_QUEUE, 202.

Other settings: BENCH_SECRET (the webhook secret), BENCH_REDIS_URL, BENCH_REF_QUEUE.
Served like `iquest serve`: one uvicorn worker, no access log, log level warning.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from fastapi import FastAPI, Request, Response

MODE = os.environ.get("BENCH_REF_MODE", "bare")
SECRET = os.environ.get("BENCH_SECRET", "bench-secret").encode()
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUE = os.environ.get("BENCH_REF_QUEUE", "bench:ref")
PATH = "/api/github/webhooks"

if MODE not in ("bare", "verify", "lpush"):
    raise SystemExit(f"BENCH_REF_MODE must be bare, verify or lpush, not {MODE!r}")

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def _signed(body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:])


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"mode": MODE}


if MODE == "bare":

    @app.post(PATH)
    async def bare() -> Response:
        return Response(status_code=202)

elif MODE == "verify":

    @app.post(PATH)
    async def verify(request: Request) -> Response:
        body = await request.body()
        if not _signed(body, request.headers.get("x-hub-signature-256")):
            return Response(status_code=401)
        json.loads(body)
        return Response(status_code=202)

else:
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url(REDIS_URL)

    @app.post(PATH)
    async def lpush(request: Request) -> Response:
        body = await request.body()
        headers = request.headers
        if not _signed(body, headers.get("x-hub-signature-256")):
            return Response(status_code=401)
        json.loads(body)
        event = headers.get("x-github-event", "")
        delivery = headers.get("x-github-delivery", "")
        await redis.lpush(QUEUE, f"{delivery}\n{event}\n".encode() + body)
        return Response(status_code=202)
