"""The receiver's connections: deadlines for a request's headers and body, uvicorn's own limits,
and a client that goes away mid-request.

uvicorn bounds neither how long a client may take to send its headers nor its body: a client
that sends half a header line, or a body's first megabytes, and then waits, holds a connection
(and what it sent) for ever. `DeadlineH11Protocol` gives every request `header_timeout` seconds
for its headers and `body_timeout` seconds (from its first byte) for all of it; a client still
sending then is answered 408 (when nothing was answered yet) and disconnected. In: the uvicorn
Config with `iquest_deadlines` set by `server_config`. Out: closed connections, one DEBUG line each.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import h11
import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from workers.config import Settings

log = logging.getLogger("iquest.connections")

_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\n"
              b"content-length: 26\r\nconnection: close\r\n\r\nrequest not sent in time.\n")


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each request."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._header_timeout, self._body_timeout = getattr(config, "iquest_deadlines", (10.0, 30.0))
        self._deadline: Any = None  # asyncio.TimerHandle of the request being received
        self._started = 0.0

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:  # the first bytes of a new request on a kept-alive connection
            self._arm()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._disarm()
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            # Answered before the body was read (401, 413, ...): what follows is not wanted.
            self.transport.close()
            return
        super().on_response_complete()

    def _arm(self) -> None:
        self._started = time.monotonic()
        self._deadline = self.loop.call_later(self._header_timeout, self._check)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _check(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            left = self._started + self._body_timeout - time.monotonic()
            if left > 0:
                self._deadline = self.loop.call_later(left, self._check)
                return
            what = "body"
        elif state is h11.IDLE:
            what = "headers"
        else:  # the request is in; the app is answering it
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.debug("closed %s: request %s not received in time", client, what)
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMED_OUT)
        self.transport.close()


class ClientGoneGuard:
    """Outermost ASGI layer: a client that disconnects mid-body is one DEBUG line, not a
    traceback (uvicorn logs any exception that leaves the app) and not a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            if scope["type"] == "http":
                log.debug("client went away during %s %s", scope["method"], scope["path"])


def server_config(app: Any, settings: Settings, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's Config with the receiver's limits: deadlines, connection count, header size."""
    config = uvicorn.Config(
        app, host=host, port=port, http=DeadlineH11Protocol,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        access_log=False, log_level="warning", **options,
    )
    # An attribute of the Config instance, so it reaches each process of `--workers N` too.
    config.iquest_deadlines = (  # type: ignore[attr-defined]
        settings.header_timeout_seconds, settings.body_timeout_seconds)
    return config
