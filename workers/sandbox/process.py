"""One process tree with a wall-clock deadline and an output cap, killed whole at either."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from workers.sandbox.port import RunResult, Verdict

READ_CHUNK = 1 << 16


def run_tree(
    argv: Sequence[str],
    env: Mapping[str, str],
    wall_seconds: float,
    max_output_bytes: int,
) -> RunResult:
    """Run argv in its own session; stdout and stderr together, at most max_output_bytes kept.

    At the deadline or the output cap the whole process group is killed with SIGKILL (the
    sandbox's pid namespace dies with its first process, so nothing outlives it).
    """
    started = time.monotonic()
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env),
        start_new_session=True,
    )
    assert process.stdout is not None
    output = bytearray()
    verdict = Verdict.EXITED
    deadline = started + wall_seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                verdict = Verdict.TIMED_OUT
                break
            if not selector.select(timeout=min(remaining, 1.0)):
                continue
            chunk = os.read(process.stdout.fileno(), READ_CHUNK)
            if not chunk:
                break  # every writer closed the pipe
            output += chunk
            if len(output) > max_output_bytes:
                verdict = Verdict.OUTPUT_LIMIT
                break
    if verdict is not Verdict.EXITED:
        _kill_group(process)
    try:
        code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        # The pipe closed but the process lingers (it closed its output): the deadline holds.
        _kill_group(process)
        code = process.wait()
        verdict = Verdict.TIMED_OUT
    process.stdout.close()
    text = bytes(output[:max_output_bytes]).decode("utf-8", errors="replace")
    return RunResult(
        verdict,
        exit_code=code if verdict is Verdict.EXITED else None,
        output=text,
        seconds=time.monotonic() - started,
    )


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
