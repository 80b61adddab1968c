"""The sandbox's size walls and /etc (issue 21): /tmp is capped, the scratch copy is capped,
a root worker's dropped uid reads passwd, and only a build's command reaches the network."""

from __future__ import annotations

import http.server
import threading

import pytest

from workers.sandbox.cgroup import CgroupParent, enter_then_exec, find_parent, make_run_cgroup
from workers.sandbox.port import Command, Limits, Verdict

WRITE_TMP = (
    "python3 -c \"\nimport os\nfor i in range(12):\n"
    "    with open(f'/tmp/fill{i}', 'wb') as f:\n        f.write(os.urandom(8 << 20))\n\""
)


def test_writing_past_the_tmp_cap_fails_and_says_so(bwrap_sandbox, tmp_path):
    [result] = bwrap_sandbox.run(tmp_path, [Command(WRITE_TMP)], Limits(tmp_bytes=32 << 20))
    assert not result.passed
    assert "No space left on device" in result.output
    assert "/tmp in the sandbox is capped at 32 MiB" in result.reason
    # Under the cap the same program runs.
    [fits] = bwrap_sandbox.run(tmp_path, [Command(WRITE_TMP)], Limits(tmp_bytes=200 << 20))
    assert fits.passed, fits.output


def test_one_huge_file_stops_at_the_file_cap_with_a_reason(bwrap_sandbox, tmp_path):
    script = "head -c 100000000 /dev/zero > /tmp/big"
    [result] = bwrap_sandbox.run(tmp_path, [Command(script)], Limits(max_file_bytes=16 << 20))
    assert not result.passed
    assert "cap of 16 MiB per file" in result.reason


def test_the_scratch_copy_is_capped(bwrap_sandbox, tmp_path):
    (tmp_path / "big-already").write_bytes(b"x" * (12 << 20))  # the tree itself does not count
    script = "for i in 1 2 3 4 5 6; do head -c 4000000 /dev/zero > /repo/blob$i; done"
    [result] = bwrap_sandbox.run(tmp_path, [Command(script)], Limits(scratch_bytes=10 << 20))
    assert result.verdict is Verdict.DISK_LIMIT
    assert "past the sandbox's cap of 10 MiB" in result.reason
    [small] = bwrap_sandbox.run(tmp_path, [Command("head -c 4000000 /dev/zero > /repo/one")],
                                Limits(scratch_bytes=10 << 20))
    assert small.passed, small


def test_passwd_awk_and_getent_work_inside(bwrap_sandbox, tmp_path):
    script = "ls -ld /etc && getent passwd $(id -u) && awk 'BEGIN { print 6 * 7 }' && " \
             "python3 -c 'import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name)'"
    [result] = bwrap_sandbox.run(tmp_path, [Command(script)], Limits())
    assert result.passed, result.output
    assert result.output.startswith("drwxr-xr-x")
    assert "sandbox:x:" in result.output or "root:x:0" in result.output
    assert "\n42\n" in result.output


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello from the host")

    def log_message(self, *args):
        pass


@pytest.fixture
def host_service():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_only_a_build_command_reaches_the_network(bwrap_sandbox, tmp_path, host_service):
    fetch = f"python3 -c \"import urllib.request; print(urllib.request.urlopen('{host_service}', timeout=5).read())\""
    [offline] = bwrap_sandbox.run(tmp_path, [Command(fetch)], Limits())
    assert not offline.passed and "hello from the host" not in offline.output
    [build] = bwrap_sandbox.run(tmp_path, [Command(fetch, network=True)], Limits())
    assert build.passed and "hello from the host" in build.output


def test_cgroup_limits_where_cgroup_v2_delegates_them(tmp_path):
    # This host: either a usable parent or a reason, never an exception.
    parent = find_parent()
    assert (parent.path is None) == bool(parent.reason)
    # A cgroup v2 tree that offers memory and pids (shaped as the kernel shows it).
    root = tmp_path / "cgroup"
    (root / "worker").mkdir(parents=True)
    (root / "worker" / "cgroup.controllers").write_text("cpu io memory pids\n")
    (root / "worker" / "cgroup.subtree_control").write_text("")
    mounts = tmp_path / "mounts"
    mounts.write_text(f"cgroup2 {root} cgroup2 rw,nosuid 0 0\n")
    own = tmp_path / "own"
    own.write_text("0::/worker\n")
    found = find_parent(mounts, own)
    assert found == CgroupParent(root / "worker")
    assert (root / "worker" / "cgroup.subtree_control").read_text() == "+memory +pids"
    run = make_run_cgroup(found.path, 3 << 30, 64)
    assert (run / "memory.max").read_text() == str(3 << 30) and (run / "pids.max").read_text() == "64"
    assert enter_then_exec(run, ["bwrap", "x"])[-2:] == ["bwrap", "x"]
    # v1 or hybrid: no memory controller in v2, and the reason says so.
    (root / "worker" / "cgroup.controllers").write_text("hugetlb\n")
    missing = find_parent(mounts, own)
    assert missing.path is None and "memory and pids controller is not available" in missing.reason


def test_no_cgroup_v2_at_all_is_a_reason(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n")
    own = tmp_path / "own"
    own.write_text("4:memory:/x\n")
    assert find_parent(mounts, own) == CgroupParent(None, "no cgroup v2 hierarchy is mounted")
