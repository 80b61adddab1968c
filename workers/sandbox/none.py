"""The backend of a machine without a usable sandbox: nothing runs, and every result says why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from workers.sandbox.port import Command, Limits, RunResult, Verdict


class NoSandbox:
    name = "none"
    available = False

    def __init__(self, reason: str):
        self.reason = reason

    def run(
        self,
        tree: Path,
        commands: Sequence[Command],
        limits: Limits,
        overlay: Mapping[str, bytes | None] | None = None,
        collect: Callable[[Path], None] | None = None,
    ) -> list[RunResult]:
        return [RunResult(Verdict.NOT_RUN, reason=self.reason) for _ in commands[:1]]
