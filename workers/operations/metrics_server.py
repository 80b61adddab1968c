"""The worker's Prometheus endpoint: prometheus-client's multiprocess mode over Celery's prefork pool.

Each pool child writes its metrics to memory-mapped files named by its pid in one directory;
the worker's main process serves `/metrics` on `IQUEST_WORKER_METRICS_PORT` by summing those
files at scrape time (left unset: 9191, or a free port, logged, when another process holds
9191). One port per worker container or pod, whatever `--concurrency` is, and a child that
is killed mid-job leaves its counts behind (they stay part of the totals) while its "in
progress" gauge is dropped once the process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("iquest.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def prepare_multiprocess_dir() -> tuple[Path, bool]:
    """(directory, created): an empty directory for this worker's metric files, exported in
    `PROMETHEUS_MULTIPROC_DIR` for the pool children.

    Must run before prometheus_client is first imported: the library picks multiprocess
    mode once, at import. An operator-given directory is emptied (stale files of an earlier
    run would be summed in); otherwise a private temporary one is created.
    """
    values = sys.modules.get("prometheus_client.values")
    if values is not None and values.ValueClass.__name__ == "MutexValue":
        raise RuntimeError("prometheus_client was imported before the multiprocess directory was set")
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path, False
    path = Path(tempfile.mkdtemp(prefix="iquest-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    return path, True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead_processes(path: Path) -> list[int]:
    """Drop the live gauges of processes that are gone, however they died (SIGKILL included)."""
    from prometheus_client import multiprocess

    dead = sorted(
        {
            int(match.group(1))
            for name in os.listdir(path)
            if (match := _LIVE_FILE.match(name)) and not _alive(int(match.group(1)))
        }
    )
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(path))
    return dead


class _WorkerCollector:
    """Sums every process's files, after sweeping the dead ones' live gauges."""

    def __init__(self, path: Path) -> None:
        from prometheus_client import multiprocess

        self._path = path
        self._files = multiprocess.MultiProcessCollector(None, str(path))

    def collect(self):  # type: ignore[no-untyped-def]
        sweep_dead_processes(self._path)
        return self._files.collect()


def mark_this_process_dead() -> None:
    """For a pool child exiting normally (Celery's `worker_process_shutdown`)."""
    from prometheus_client import multiprocess

    path = os.environ.get(MULTIPROC_ENV)
    if path:
        multiprocess.mark_process_dead(os.getpid(), path)


@contextlib.contextmanager
def serve_worker_metrics(
    path: Path, host: str, port: int, *, any_port_if_taken: bool = False
) -> Iterator[int]:
    """Serve the summed metrics on host:port in a thread of this (the main) process; yields the
    port. With `any_port_if_taken` (the port is only the default), a port another process holds
    — a second worker on the same machine — gives way to a free one, logged; otherwise a taken
    port raises OSError."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(_WorkerCollector(path))  # type: ignore[arg-type]
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        if not any_port_if_taken or error.errno != errno.EADDRINUSE:
            raise
        server, thread = start_http_server(0, addr=host, registry=registry)
        log.warning(
            "worker metrics: the default port %d is taken (another worker on this machine?); "
            "serving on %d instead. Set IQUEST_WORKER_METRICS_PORT to choose the port.",
            port, server.server_address[1],
        )
    bound = server.server_address[1]
    log.info("worker metrics on http://%s:%d/metrics", host, bound)
    try:
        yield bound
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
