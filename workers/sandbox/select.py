"""Pick the sandbox backend at start-up: bubblewrap when it works here, else `none` with why."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from enum import Enum
from pathlib import Path

from workers.sandbox.bwrap import BubblewrapSandbox
from workers.sandbox.none import NoSandbox
from workers.sandbox.port import Command, Limits, Sandbox

PROBE_SECONDS = 20.0


class SandboxBackend(Enum):
    AUTO = "auto"
    BUBBLEWRAP = "bubblewrap"
    NONE = "none"


def build_sandbox(backend: SandboxBackend, scratch_root: Path | None = None) -> Sandbox:
    """The configured backend; `auto` and `bubblewrap` probe bwrap once with a trivial run."""
    if backend is SandboxBackend.NONE:
        return NoSandbox("the sandbox is switched off on this deployment (IQUEST_SANDBOX=none)")
    path = shutil.which("bwrap")
    if path is None:
        return NoSandbox("bubblewrap (bwrap) is not installed on this worker")
    sandbox = BubblewrapSandbox(path, scratch_root)
    problem = probe(sandbox)
    if problem:
        return NoSandbox(f"bubblewrap cannot start here ({problem})")
    return sandbox


def probe(sandbox: BubblewrapSandbox) -> str:
    """Empty when a trivial command runs in the sandbox; else bwrap's complaint."""
    with tempfile.TemporaryDirectory() as tree:
        try:
            [result] = sandbox.run(
                Path(tree), [Command("true")], Limits(wall_seconds=PROBE_SECONDS)
            )
        except (OSError, subprocess.SubprocessError) as error:
            return str(error)
    if result.passed:
        return ""
    return (result.output.strip() or result.reason or result.verdict.value)[-300:]
