"""The build's only way out: an HTTP proxy on a unix socket that reaches public addresses only.

A build runs the repository's build backend (its setup.py) with network access. Sharing the
host's network would let it reach whatever listens on the worker's loopback (the embedded
Redis, metrics) or the cloud's metadata address. Instead the build keeps its own empty network
namespace; `bridge.py`, inside it, relays 127.0.0.1:3128 to this proxy's unix socket (a file
bind-mounted into the sandbox), and uv and npm use it as their HTTPS proxy. The proxy connects
to no loopback, private, link-local (cloud metadata) or multicast address, except the hosts it is
told to allow (a private index, on any port); to others on ports 80 and 443 only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

HEAD_LIMIT = 16 * 1024
PUBLIC_PORTS = frozenset({80, 443})
CONNECT_SECONDS = 20.0
# The worker's own machine, its cluster and the cloud's metadata service: never from a build.
# (Not "every non-global address": some networks answer for the index from a reserved range.)
BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
))


def allowed_hosts(urls: Iterable[str]) -> frozenset[str]:
    return frozenset(urlsplit(url).hostname or "" for url in urls if url) - {""}


def check_destination(host: str, port: int, allow: frozenset[str]) -> tuple[str, int] | str:
    """(address, port) to connect to, or why not."""
    if host in allow:
        try:
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][:2]
        except OSError as error:
            return f"cannot resolve {host}: {error}"
    if port not in PUBLIC_PORTS:
        return f"port {port} is not allowed"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        return f"cannot resolve {host}: {error}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in BLOCKED):
            return f"{host} resolves to a local or private address ({address})"
    return infos[0][4][:2]


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client = self.request
        client.settimeout(60)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk or len(head) > HEAD_LIMIT:
                return
            head += chunk
        line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = line.decode("latin-1").split(" ", 2)
        except ValueError:
            return self._refuse(400, "bad request line")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            first = b""
        else:  # an absolute-form request for plain http (a private index without TLS)
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                return self._refuse(400, "only CONNECT or absolute http:// requests")
            host, port = parts.hostname, str(parts.port or 80)
            path = parts.path or "/"
            if parts.query:
                path += f"?{parts.query}"
            first = f"{method} {path} {version}\r\n".encode("latin-1") + rest
        host = host.strip("[]")
        if not port.isdigit():
            return self._refuse(400, "bad port")
        where = check_destination(host, int(port), self.server.allow)
        if isinstance(where, str):
            return self._refuse(403, where)
        try:
            upstream = socket.create_connection(where, timeout=CONNECT_SECONDS)
        except OSError as error:
            return self._refuse(502, str(error))
        with upstream:
            upstream.settimeout(None)
            client.settimeout(None)
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(first)
            _relay(client, upstream)

    def _refuse(self, code: int, why: str) -> None:
        body = f"iquest build egress: {why}\n".encode()
        with contextlib.suppress(OSError):
            self.request.sendall(f"HTTP/1.1 {code} Refused\r\nContent-Length: {len(body)}\r\n"
                                 f"Connection: close\r\n\r\n".encode() + body)


def _relay(a: socket.socket, b: socket.socket) -> None:
    def pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join()


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    allow: frozenset[str] = frozenset()


class EgressProxy:
    """`with EgressProxy(folder, allow) as socket_path:` serves for the duration of one build."""

    def __init__(self, folder: Path, allow: frozenset[str] = frozenset()):
        self.path = folder / "egress.sock"
        self.allow = allow
        self._server: _Server | None = None

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        self._server = _Server(str(self.path), _Handler)
        self._server.allow = self.allow
        self.path.chmod(0o777)  # a root worker's sandbox connects as a throwaway uid
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.path

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.path.unlink(missing_ok=True)
