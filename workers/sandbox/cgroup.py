"""A cgroup v2 memory and pids limit for one sandboxed run, where this machine lets us make one.

RLIMIT_AS binds each process but not the tree, and tmpfs pages count against no rlimit; a
cgroup's memory.max counts both. It needs a cgroup v2 hierarchy that is writable and whose
`memory` and `pids` controllers can be delegated to a child of the worker's own cgroup. Where
that is not so (cgroup v1 or hybrid hosts, read-only cgroupfs in a container) the sandbox runs
without one and says why once at start (`reason`); the rlimits and the /tmp cap still hold.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")


@dataclass(frozen=True)
class CgroupParent:
    """Where run cgroups are made, or why they cannot be (`path` None)."""

    path: Path | None
    reason: str = ""


def find_parent(mounts: Path = Path("/proc/self/mounts"), own: Path = Path("/proc/self/cgroup")) -> CgroupParent:
    try:
        lines = mounts.read_text().splitlines()
        membership = own.read_text().splitlines()
    except OSError as error:
        return CgroupParent(None, f"cannot read the cgroup mounts: {error}")
    roots = [Path(line.split()[1]) for line in lines if len(line.split()) > 2 and line.split()[2] == "cgroup2"]
    if not roots:
        return CgroupParent(None, "no cgroup v2 hierarchy is mounted")
    relative = next((line[3:] for line in membership if line.startswith("0::")), "/")
    reasons = []
    for root in roots:
        parent = root / relative.lstrip("/")
        problem = _delegate(parent)
        if not problem:
            return CgroupParent(parent)
        reasons.append(f"{parent}: {problem}")
    return CgroupParent(None, "; ".join(reasons))


def _delegate(parent: Path) -> str:
    """Empty when children of parent can get memory and pids limits; else why not."""
    try:
        available = (parent / "cgroup.controllers").read_text().split()
    except OSError as error:
        return f"unreadable ({error.strerror})"
    missing = [name for name in CONTROLLERS if name not in available]
    if missing:
        return f"the {' and '.join(missing)} controller is not available in cgroup v2 here"
    enabled = (parent / "cgroup.subtree_control").read_text().split()
    wanted = [f"+{name}" for name in CONTROLLERS if name not in enabled]
    if wanted:
        try:
            (parent / "cgroup.subtree_control").write_text(" ".join(wanted))
        except OSError as error:
            return f"cannot enable {' '.join(wanted)} ({error.strerror})"
    probe = parent / f"iquest-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as error:
        return f"not writable ({error.strerror})"
    return ""


def make_run_cgroup(parent: Path, memory_bytes: int, max_processes: int) -> Path:
    path = parent / f"iquest-sandbox-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    (path / "memory.max").write_text(str(memory_bytes))
    with contextlib.suppress(OSError):
        (path / "memory.swap.max").write_text("0")
    (path / "pids.max").write_text(str(max_processes))
    return path


def enter_then_exec(cgroup: Path, argv: list[str]) -> list[str]:
    """argv run by a shell that first moves itself into cgroup (no child escapes the move)."""
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup / "cgroup.procs"), *argv]


def remove_run_cgroup(path: Path) -> None:
    with contextlib.suppress(OSError):
        (path / "cgroup.kill").write_text("1")
    with contextlib.suppress(OSError):
        path.rmdir()
