"""A scripted OpenAI-compatible model server on loopback: real HTTP, prepared replies, strict."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.model_profiles import SCRIPTED, ServerProfile, refused_field
from tests.fakes.model_replies import (  # noqa: F401 - the reply types tests script come from here too
    DEFAULT_MODEL,
    HOLD_LIMIT_SECONDS,
    TOKEN_PATTERN,
    ChatReply,
    ErrorReply,
    RawReply,
    RecordedRequest,
    Reply,
    Responder,
    chunk_body,
    completion_body,
    count_fake_tokens,
    sse_event,
)


class _QuietServer(ThreadingHTTPServer):
    """Treats a client that hung up (a timeout under test) as normal; anything else is a problem."""

    owner: ScriptedModelServer

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            self.owner._complain(f"fake server error: {error!r}")


class ScriptedModelServer:
    """Serves /v1/chat/completions from a script, /v1/models, and /tokenize (or a 404 when off).

    Every request is recorded. A request nobody scripted gets HTTP 500 and is remembered;
    `verify()` (called when the `with` block ends) raises for those and for replies that
    were scripted but never asked for, so a test cannot pass by accident.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        tokenize: bool = True,
        supports_n: bool = True,
        profile: ServerProfile = SCRIPTED,
        responder: Responder | None = None,
        port: int = 0,
    ):
        """`profile` answers the way one server family does (tests/fakes/model_profiles.py);
        `tokenize=False` takes /tokenize away and `supports_n=False` makes `n` ignored;
        `responder` computes answers (the oracle of `iquest eval`) instead of a script."""
        self.model = model
        if not tokenize:
            profile = replace(profile, tokenize=None)
        if not supports_n:
            profile = replace(profile, n_mode="one")
        self.profile = profile
        self.responder = responder
        self.tokenize_enabled = profile.tokenize is not None
        # Like vLLM: a request with `n` gets that many choices (the next n scripted replies).
        # False: like servers that ignore `n` and answer one choice.
        self.supports_n = profile.n_mode == "choices"
        self.requests: list[RecordedRequest] = []
        # (position in `requests`, field) for every chat request refused for a field, `n` included.
        self.refusals: list[tuple[int, str]] = []
        self.problems: list[str] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        # Chat completions being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.owner = self
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (and so every test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root_url(self) -> str:
        """Where the server listens (vLLM's /tokenize lives here)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL clients are configured with."""
        return self.root_url + "/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat completion requests, in order."""
        with self._lock:
            self._script.extend(replies)

    def chat_requests(self) -> list[RecordedRequest]:
        """The chat completion requests received so far."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def start(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def verify(self) -> None:
        """Raise when a request was unexpected or a scripted reply was never used."""
        with self._lock:
            problems = list(self.problems)
            if self._script:
                problems.append(f"{len(self._script)} scripted repl(ies) never requested")
        if problems:
            raise AssertionError("model server: " + "; ".join(problems))

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None:
            self.verify()

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests) - 1

    def _refused(self, position: int, name: str) -> None:
        with self._lock:
            self.refusals.append((position, name))

    def _complain(self, problem: str) -> None:
        with self._lock:
            self.problems.append(problem)

    def _enter_chat(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave_chat(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next_reply(self, payload: dict) -> Reply | None:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return self.responder(payload) if self.responder is not None else None

    def _more_choices(self, n: object, payload: dict) -> list[ChatReply]:
        """The scripted replies for choices 2..n of a request with `n` (none if unsupported)."""
        if not self.supports_n or not isinstance(n, int) or n <= 1:
            return []
        if self.responder is not None and not self._script:
            answers = [self.responder(payload) for _ in range(n - 1)]
            return [a for a in answers if isinstance(a, ChatReply)]
        with self._lock:
            extra = []
            while len(extra) < n - 1 and self._script and isinstance(self._script[0], ChatReply):
                extra.append(self._script.pop(0))
        if len(extra) < n - 1:
            self._complain(f"a request with n={n} found only {len(extra) + 1} scripted replies")
        return extra


def _handler_for(server: ScriptedModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = RecordedRequest(method, self.path, dict(self.headers.items()), body)
            position = server._record(request)
            route = (method, self.path.split("?", 1)[0])
            profile = server.profile
            if route == ("GET", "/v1/models"):
                entry = {"id": server.model, "object": "model", "created": 0,
                         "owned_by": profile.owned_by, **profile.model_entry(server.model)}
                if profile.models_shape == "single":
                    self._send_json(200, entry)
                else:
                    self._send_json(200, {"object": "list", "data": [entry]})
            elif route == ("POST", "/tokenize"):
                if server.tokenize_enabled:
                    self._tokenize(request)
                else:
                    # What a server without the endpoint (Ollama, a hosted API) answers.
                    self._send_json(*profile.tokenize_absent)
            elif route == ("POST", "/v1/chat/completions"):
                server._enter_chat()
                try:
                    if not self._refuse(request, position):
                        self._chat(request)
                finally:
                    server._leave_chat()
            else:
                self._unexpected(f"unscripted request {method} {self.path}")

        def _tokenize(self, request: RecordedRequest) -> None:
            payload = request.json
            dialect = server.profile.tokenize
            if not isinstance(payload, dict):
                self._unexpected("/tokenize without a JSON object")
                return
            text = payload.get(dialect)
            if dialect == "content":
                # llama.cpp: no `content` -> no tokens, still 200.
                count = count_fake_tokens(text) if isinstance(text, str) else 0
                self._send_json(200, {"tokens": list(range(count))})
            elif not isinstance(text, str):
                if dialect == "inputs":
                    self._send_json(422, "Failed to deserialize the JSON body into the target "
                                         "type: missing field `inputs` at line 1 column 40")
                else:
                    self._unexpected("/tokenize without a string prompt")
            elif dialect == "inputs":
                words = TOKEN_PATTERN.findall(text)
                self._send_json(200, [{"id": i, "text": w, "start": 0, "stop": 0}
                                      for i, w in enumerate(words)])
            else:
                count = count_fake_tokens(text)
                self._send_json(
                    200, {"count": count, "tokens": list(range(count)), "max_model_len": 131072}
                )

        def _refuse(self, request: RecordedRequest, position: int) -> bool:
            """Answer as the profile refuses this request, without using a scripted reply."""
            payload = request.json
            profile = server.profile
            if not isinstance(payload, dict):
                return False
            name = payload.get("model")
            if profile.unknown_model is not None and name != server.model:
                self._send_json(*profile.unknown_model(str(name)))
                return True
            refused = refused_field(profile, payload)
            if refused is not None:
                server._refused(position, refused)
                self._send_json(*profile.refusal(refused))
                return True
            n = payload.get("n", 1)
            if profile.n_mode == "refuse" and isinstance(n, int) and n > 1:
                server._refused(position, "n")
                self._send_json(*profile.n_refusal)
                return True
            return False

        def _chat(self, request: RecordedRequest) -> None:
            payload = request.json
            if (
                not isinstance(payload, dict)
                or not payload.get("messages")
                or "model" not in payload
            ):
                self._unexpected("chat completion without model and messages")
                return
            reply = server._next_reply(payload)
            if reply is None:
                self._unexpected("chat completion with no scripted reply left")
                return
            time.sleep(reply.delay_seconds)
            held = reply.hold if isinstance(reply, ChatReply) else None
            if held is not None and not held.wait(HOLD_LIMIT_SECONDS):
                self._unexpected(f"held reply never released within {HOLD_LIMIT_SECONDS}s")
                return
            if isinstance(reply, ErrorReply):
                body = {
                    "error": {"message": reply.message, "type": "scripted", "code": reply.status}
                }
                self._send_json(reply.status, body, reply.headers)
            elif isinstance(reply, RawReply) and reply.cut_after is not None:
                self._send_cut(reply)
            elif isinstance(reply, RawReply):
                self._send(reply.status, reply.body, reply.content_type)
            elif payload.get("stream"):
                self._stream(reply, payload)
            else:
                extra = server._more_choices(payload.get("n", 1), payload)
                self._send_json(
                    200, completion_body(reply, payload, extra, server.profile.reasoning_field)
                )

        def _stream(self, reply: ChatReply, payload: dict) -> None:
            chunks = []
            if reply.reasoning:
                chunks.append({"role": "assistant", server.profile.reasoning_field: reply.reasoning})
            pieces = re.findall(r"\S*\s*", reply.content) or [""]
            chunks += [{"content": piece} for piece in pieces if piece]
            lines = [sse_event(chunk_body(payload, delta, None)) for delta in chunks]
            lines.append(sse_event(chunk_body(payload, {}, reply.finish_reason)))
            options = payload.get("stream_options")
            if server.profile.stream_usage and isinstance(options, dict) and options.get(
                "include_usage"
            ):
                # OpenAI/vLLM: one more chunk with the request's usage and no choices.
                usage = completion_body(reply, payload)["usage"]
                lines.append(sse_event({**chunk_body(payload, {}, None), "choices": [], "usage": usage}))
            lines.append(b"data: [DONE]\n\n")
            self._send(200, b"".join(lines), "text/event-stream")

        def _send_cut(self, reply: RawReply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body[: reply.cut_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _unexpected(self, problem: str) -> None:
            server._complain(problem)
            self._send_json(500, {"error": {"message": problem, "type": "unscripted"}})

        def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            if isinstance(body, str):  # a plain-text answer (Go's 404, axum's 422)
                self._send(status, body.encode(), "text/plain; charset=utf-8", headers)
                return
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
