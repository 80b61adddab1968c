"""A webhook proxy channel speaking smee.io's format on loopback: POST a delivery to it, and every
subscriber gets it as a server-sent event (`data`: headers, parsed `body`, optional `rawBody`).

Options the real smee.io does not all have, to test the client against each behaviour:
`raw_body` (carry the original bytes), `event_ids` (send `id:` and resume after `Last-Event-ID`;
without it a reconnecting subscriber is sent the whole backlog again), and `drop_after(n)`
(cut the stream in the middle of the next event once n events went out on it).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ProxyChannel:
    def __init__(self, *, raw_body: bool = True, event_ids: bool = True) -> None:
        self.raw_body, self.event_ids = raw_body, event_ids
        self.backlog: list[dict] = []
        self.changed = threading.Condition()
        self.connections = 0
        self._drop_after: int | None = None
        self._closing = False
        channel = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message = {k.lower(): v for k, v in self.headers.items()}
                message.update(body=json.loads(raw), timestamp=int(time.time() * 1000))
                if channel.raw_body:
                    message["rawBody"] = raw.decode()
                with channel.changed:
                    channel.backlog.append(message)
                    channel.changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                channel.stream(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/test-channel"

    def drop_after(self, events: int) -> None:
        self._drop_after = events

    def stream(self, handler: BaseHTTPRequestHandler) -> None:
        with self.changed:
            self.connections += 1
            last = handler.headers.get("Last-Event-ID")
            start = int(last) + 1 if self.event_ids and last is not None else 0
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def chunk(data: bytes) -> None:
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        chunk(b"event: ready\ndata: {}\n\n")
        sent, index = 0, start
        try:
            while True:
                with self.changed:
                    while index >= len(self.backlog) and not self._closing:
                        self.changed.wait(0.5)
                    if self._closing:
                        handler.close_connection = True
                        handler.connection.shutdown(socket.SHUT_RDWR)
                        return
                    message, drop = self.backlog[index], self._drop_after
                event = (f"id: {index}\n" if self.event_ids else "") + \
                    f"data: {json.dumps(message)}\n\n"
                if drop is not None and sent >= drop:
                    self._drop_after = None
                    # Half an event, then the connection dies: the client must discard it.
                    half = event.encode()[: len(event) // 2]
                    handler.wfile.write(f"{len(event.encode()):x}\r\n".encode() + half)
                    handler.wfile.flush()
                    handler.connection.shutdown(socket.SHUT_RDWR)
                    return
                chunk(event.encode())
                sent += 1
                index += 1
        except OSError:
            return

    def start(self) -> ProxyChannel:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.changed:
            self._closing = True
            self.changed.notify_all()
        self._server.shutdown()
        with contextlib.suppress(OSError):
            self._server.server_close()
