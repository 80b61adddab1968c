"""The sandbox port: what a run may use, and what came of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol


class Verdict(Enum):
    """How a sandboxed command ended."""

    EXITED = "exited"  # ran to its end; see exit_code
    TIMED_OUT = "timed_out"  # wall-clock limit: the whole process tree was killed
    OUTPUT_LIMIT = "output_limit"  # printed more than allowed: killed
    NOT_RUN = "not_run"  # no sandbox on this machine, or it could not start
    DISK_LIMIT = "disk_limit"  # the scratch copy grew past its cap: the run counts as failed


@dataclass(frozen=True)
class Limits:
    """Per-command limits. Memory is RLIMIT_AS of every process; processes count the tree."""

    wall_seconds: float = 300.0
    memory_bytes: int = 2 << 30
    max_processes: int = 256
    max_output_bytes: int = 1 << 20
    max_file_bytes: int = 256 << 20
    # /tmp inside is a tmpfs of at most this many bytes (its pages are memory the host pays for).
    tmp_bytes: int = 512 << 20
    # Total bytes of the scratch copy after each command; past it the run fails and says so.
    scratch_bytes: int = 2 << 30


@dataclass(frozen=True)
class Mount:
    """A host path shown at `target` inside the sandbox: read-only (a tool the worker ships, a
    built test environment), or writable for an environment build's output folder only."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Command:
    """One shell command line run with the scratch tree as its working directory."""

    script: str
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: Sequence[Mount] = ()
    # Only an environment build reaches the network (the package index); tests never do.
    network: bool = False


@dataclass(frozen=True)
class RunResult:
    verdict: Verdict
    exit_code: int | None = None
    output: str = ""  # stdout and stderr interleaved, cut at the output limit
    seconds: float = 0.0
    reason: str = ""  # for NOT_RUN: why

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.EXITED and self.exit_code == 0


class Sandbox(Protocol):
    """Runs commands over a writable scratch copy of a tree; the original is never touched."""

    name: str
    available: bool
    reason: str  # why not available (empty when it is)

    def run(
        self,
        tree: Path,
        commands: Sequence[Command],
        limits: Limits,
        overlay: Mapping[str, bytes | None] | None = None,
        collect: Callable[[Path], None] | None = None,
    ) -> list[RunResult]:
        """Copy `tree` once with `overlay` laid over it (path → new bytes, None deletes), then
        run each command in order in that copy (setup, then tests); a command that does not
        exit 0 stops the rest. `collect`, when given, sees the scratch copy after the last
        command and before it is deleted (an environment build keeps what it wrote there)."""
        ...
