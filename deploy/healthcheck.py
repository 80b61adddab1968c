"""Container health check for every role of the image (Docker's HEALTHCHECK runs it).

The role is whatever command the container runs (PID 1's arguments): `iquest serve` is
healthy when its /healthz answers; `iquest worker` and `iquest beat` are healthy when the
broker answers, since without it they can do nothing. Kubernetes ignores HEALTHCHECK and uses
the probes in deploy/k8s instead. Standard library plus redis-py only: it runs every 30 s.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def role_and_port(argv: list[str]) -> tuple[str, int]:
    """The iquest subcommand in a command line, and the port `serve` listens on."""
    role, port = "unknown", 3000
    for index, arg in enumerate(argv):
        if arg in ("serve", "worker", "beat") and role == "unknown":
            role = arg
        elif arg == "--port" and index + 1 < len(argv):
            port = int(argv[index + 1])
        elif arg.startswith("--port="):
            port = int(arg.split("=", 1)[1])
    return role, port


def check(argv: list[str], environ: dict[str, str]) -> str | None:
    """None when healthy, else what is wrong."""
    role, port = role_and_port(argv)
    try:
        if role == "serve":
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as reply:
                return None if reply.status == 200 else f"/healthz answered {reply.status}"
        if role in ("worker", "beat") and environ.get("IQUEST_REDIS_URL"):
            import redis

            redis.Redis.from_url(environ["IQUEST_REDIS_URL"], socket_timeout=4).ping()
        return None
    except Exception as error:  # noqa: BLE001 - any failure is "unhealthy", said plainly
        return f"{role}: {type(error).__name__}: {error}"


def main() -> int:
    argv = Path("/proc/1/cmdline").read_bytes().decode(errors="replace").split("\0")
    problem = check(argv, dict(os.environ))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
