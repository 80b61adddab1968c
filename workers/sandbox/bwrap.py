"""The bubblewrap backend: a scratch copy of the tree, the system read-only, nothing else.

Inside: the scratch copy at /repo (writable), /usr and the worker's Python read-only, a few
files of /etc (in a 0755 /etc, so any uid reads passwd), a fresh /proc, /dev and a size-capped
/tmp tmpfs, no network (own namespace: not even the host's loopback), an empty environment,
its own pid namespace (the tree dies with its first process). Limits: RLIMIT_AS per process,
RLIMIT_NPROC, RLIMIT_FSIZE via `prlimit` inside; a cgroup v2 memory and pids limit for the
whole run where the host delegates one (`cgroup`; skipped elsewhere); the scratch copy's size
after each command; wall clock and output size from outside (`process.run_tree`).

A test environment's build (workers/environments) is the one command that keeps the network
(`Command.network`) and gets a writable mount (`Mount.writable`) for its output.

A root worker (CI) runs bwrap privileged and drops to a throwaway uid inside with `setpriv`:
RLIMIT_NPROC does not bind root, and a fresh uid makes it count this run's processes only.
Any other user runs bwrap unprivileged in a new user namespace, whose process count is its
own too.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from workers.sandbox.cgroup import (
    CgroupParent,
    enter_then_exec,
    find_parent,
    make_run_cgroup,
    remove_run_cgroup,
)
from workers.sandbox.port import Command, Limits, Mount, RunResult, Verdict
from workers.sandbox.process import run_tree

WORKDIR = "/repo"
PATH = "/usr/local/bin:/usr/bin:/bin"
# Enough of /etc for the dynamic loader and libc; nothing that holds configuration or keys.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")
SANDBOX_UID_BASE = 3_000_000
PASSWD = "root:x:0:0::/tmp:/bin/sh\nsandbox:x:{uid}:{uid}::/tmp:/bin/sh\n"
GROUP = "root:x:0:\nsandbox:x:{uid}:\n"
# What a build (and only a build) needs of /etc to resolve and trust the package index.
NETWORK_ETC = ("resolv.conf", "hosts", "nsswitch.conf", "ssl", "ca-certificates", "gai.conf")
NO_SPACE = "No space left on device"
TOO_LARGE = ("File size limit exceeded", "File too large")


class BubblewrapSandbox:
    name = "bubblewrap"
    available = True
    reason = ""

    def __init__(
        self,
        bwrap: str = "bwrap",
        scratch_root: Path | None = None,
        python_prefix: Path = Path(sys.base_prefix),
        cgroups: CgroupParent | None = None,
    ):
        self.bwrap = bwrap
        self.scratch_root = scratch_root
        self.python_prefix = python_prefix
        self.privileged = os.geteuid() == 0
        # Distinct per worker process, so two sandboxes never share a process count.
        self.uid = SANDBOX_UID_BASE + os.getpid() % 1_000_000
        self.cgroups = cgroups if cgroups is not None else find_parent()

    def run(
        self,
        tree: Path,
        commands: Sequence[Command],
        limits: Limits,
        overlay: Mapping[str, bytes | None] | None = None,
        collect: Callable[[Path], None] | None = None,
    ) -> list[RunResult]:
        if self.scratch_root is not None:
            self.scratch_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="iquest-sandbox-", dir=self.scratch_root))
        try:
            repo = scratch / "repo"
            shutil.copytree(tree, repo, symlinks=True)
            _lay_over(repo, overlay or {})
            etc = scratch / "etc"
            etc.mkdir()
            (etc / "passwd").write_text(PASSWD.format(uid=self.uid))
            (etc / "group").write_text(GROUP.format(uid=self.uid))
            if self.privileged:
                _chown_tree(repo, self.uid)
            start_bytes = _tree_bytes(repo)
            results = []
            for command in commands:
                result = _explain(self._run_one(repo, etc, command, limits), repo, limits, start_bytes)
                results.append(result)
                if not result.passed:
                    break
            if collect is not None:
                collect(repo)
            return results
        except OSError as error:
            return [RunResult(Verdict.NOT_RUN, reason=f"the sandbox could not start: {error}")]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run_one(self, repo: Path, etc: Path, command: Command, limits: Limits) -> RunResult:
        argv = self.argv(repo, etc, command, limits)
        cgroup = None
        if self.cgroups.path is not None:
            cgroup = make_run_cgroup(
                self.cgroups.path, limits.memory_bytes + limits.tmp_bytes, limits.max_processes
            )
            argv = enter_then_exec(cgroup, argv)
        try:
            # bwrap itself starts with nothing: /proc/1/environ inside is empty
            return run_tree(argv, {}, limits.wall_seconds, limits.max_output_bytes)
        finally:
            if cgroup is not None:
                remove_run_cgroup(cgroup)

    def argv(self, repo: Path, etc: Path, command: Command, limits: Limits) -> list[str]:
        """The bwrap command line for one command over the scratch copy `repo`."""
        args = [
            self.bwrap,
            "--unshare-pid",
            *(() if command.network else ("--unshare-net",)),
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        if not self.privileged:
            args.append("--unshare-user")
        for name in ("bin", "sbin", "lib", "lib64", "lib32"):
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), f"/{name}"]
            elif host.is_dir():
                args += ["--ro-bind", str(host), f"/{name}"]
        # bwrap would make /etc 0700 for its binds: a dropped uid could not read passwd.
        args += ["--perms", "0755", "--dir", "/etc"]
        for name in (*ETC_FILES, *(NETWORK_ETC if command.network else ())):
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--ro-bind", str(etc / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(etc / "group"), "/etc/group"]
        made = {"/", "/usr", "/etc", "/tmp", "/proc", "/dev", WORKDIR}
        mounts = list(command.mounts)
        if not self.python_prefix.resolve().is_relative_to("/usr"):
            prefix = str(self.python_prefix.resolve())
            mounts.insert(0, Mount(Path(prefix), prefix))
        # /tmp first: a mount whose host path lies under /tmp must land on top of the tmpfs.
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
        inside = [m for m in mounts if m.target.startswith(WORKDIR + "/")]
        for mount in (m for m in mounts if m not in inside):
            args += _parents(mount.target, made)
            args += ["--bind" if mount.writable else "--ro-bind", str(mount.source), mount.target]
        args += ["--bind", str(repo), WORKDIR]
        # Mounts inside the tree (a node environment's node_modules) go over the scratch copy.
        for mount in inside:
            args += ["--bind" if mount.writable else "--ro-bind", str(mount.source), mount.target]
        args += ["--chdir", WORKDIR]
        env = {
            "PATH": f"{self.python_prefix.resolve()}/bin:{PATH}",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            **command.env,
        }
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += ["--remount-ro", "/"]
        if self.privileged:
            args += ["--cap-add", "CAP_SETUID,CAP_SETGID", "--"]
            args += [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
            ]
        else:
            args.append("--")
        args += [
            "prlimit",
            f"--as={limits.memory_bytes}",
            f"--nproc={limits.max_processes}",
            f"--fsize={limits.max_file_bytes}",
            "--core=0",
            "--",
            "/bin/sh",
            "-c",
            command.script,
        ]
        return args


def _explain(result: RunResult, repo: Path, limits: Limits, start_bytes: int) -> RunResult:
    """Say which wall a run hit: the /tmp cap (the write failed inside) or the scratch cap."""
    used = _tree_bytes(repo) - start_bytes  # what the runs wrote, not the tree itself
    if used > limits.scratch_bytes:
        return replace(
            result,
            verdict=Verdict.DISK_LIMIT,
            exit_code=None,
            reason=f"the run wrote {used >> 20} MiB into the tree, past the sandbox's cap of "
            f"{limits.scratch_bytes >> 20} MiB (IQUEST_SANDBOX_SCRATCH_BYTES)",
        )
    if not result.passed and NO_SPACE in result.output and not result.reason:
        return replace(
            result,
            reason=f"a write failed with \"{NO_SPACE}\": /tmp in the sandbox is capped at "
            f"{limits.tmp_bytes >> 20} MiB (IQUEST_SANDBOX_TMP_BYTES)",
        )
    too_large = any(text in result.output for text in TOO_LARGE) or result.exit_code == 128 + signal.SIGXFSZ
    if not result.passed and too_large and not result.reason:
        return replace(
            result,
            reason=f"a file grew past the sandbox's cap of {limits.max_file_bytes >> 20} MiB per file "
            f"(and /tmp holds at most {limits.tmp_bytes >> 20} MiB, IQUEST_SANDBOX_TMP_BYTES)",
        )
    return result


def _tree_bytes(root: Path) -> int:
    total = 0
    for directory, _names, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue
    return total


def _parents(target: str, made: set[str]) -> list[str]:
    """--dir for each missing ancestor of target, world-readable (bwrap's default is 0700)."""
    args: list[str] = []
    parts = Path(target).parts
    for depth in range(2, len(parts)):
        directory = str(Path(*parts[:depth]))
        if directory not in made:
            made.add(directory)
            args += ["--perms", "0755", "--dir", directory]
    made.add(target)
    return args


def _lay_over(repo: Path, overlay: Mapping[str, bytes | None]) -> None:
    for path, data in overlay.items():
        target = repo / path
        if not target.resolve().is_relative_to(repo.resolve()):
            raise OSError(f"overlay path outside the tree: {path}")
        if data is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _chown_tree(root: Path, uid: int) -> None:
    os.lchown(root, uid, uid)
    for directory, names, files in os.walk(root):
        for name in (*names, *files):
            os.lchown(os.path.join(directory, name), uid, uid)
