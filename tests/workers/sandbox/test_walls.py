"""The sandbox's walls, each shown by a program inside that tries to get through and fails."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from workers.sandbox.port import Command, Limits, Verdict

PROBE = r'''
import json, os, socket, sys
def attempt(action):
    try:
        return {"ok": True, "value": action()}
    except BaseException as error:
        return {"ok": False, "error": type(error).__name__}
def read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")
def connect(host, port):
    with socket.create_connection((host, port), timeout=3):
        return "connected"
def connect_unix(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        return "connected"
def write(path):
    with open(path, "w") as handle:
        handle.write("escaped")
    return path
checks = json.loads(sys.argv[1])
out = {}
for name, (kind, *args) in checks.items():
    out[name] = attempt(lambda: {"read": read, "connect": connect, "unix": connect_unix, "write": write}[kind](*args))
out["environ"] = dict(os.environ)
print(json.dumps(out))
'''


def probe(sandbox, tree: Path, checks: dict) -> dict:
    (tree / "probe.py").write_text(PROBE)
    [result] = sandbox.run(tree, [Command(f"python3 probe.py '{json.dumps(checks)}'")], Limits())
    assert result.verdict is Verdict.EXITED, result
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line holds marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_nothing_of_the_worker_s_environment_gets_in(bwrap_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("IQUEST_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY----- sekrit")
    monkeypatch.setenv("IQUEST_MODEL_API_KEY", "model-sekrit")
    # Without the sandbox a child inherits them.
    assert "sekrit" in subprocess.run(["env"], capture_output=True, text=True, check=True).stdout
    report = probe(bwrap_sandbox, tmp_path, {"pid1": ["read", "/proc/1/environ"],
                                            "self": ["read", "/proc/self/environ"]})
    assert not any(key.startswith("IQUEST_") for key in report["environ"])
    assert set(report["environ"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "LC_CTYPE"}
    for name in ("pid1", "self"):
        assert not report[name]["ok"] or "sekrit" not in report[name]["value"]


def test_the_app_key_file_and_the_worker_tree_are_not_there(bwrap_sandbox, tmp_path, app_keypair):
    key = tmp_path / "secrets" / "app.pem"
    key.parent.mkdir()
    key.write_text(app_keypair.private_key_pem)
    tree = tmp_path / "tree"
    tree.mkdir()
    report = probe(bwrap_sandbox, tree, {
        "key": ["read", str(key)],
        "worker_config": ["read", str(Path(__file__).resolve().parents[3] / "workers" / "config.py")],
        "home": ["read", "/root/.bash_history"],
    })
    assert report["key"] == {"ok": False, "error": "FileNotFoundError"}
    assert not report["worker_config"]["ok"]
    assert not report["home"]["ok"]


def test_redis_is_out_of_reach_by_socket_and_by_port(bwrap_sandbox, tmp_path, redis_server):
    socket_file = redis_server.endpoint.embedded.socket_file
    with socket.socket(socket.AF_UNIX) as here:
        here.connect(socket_file)  # the same attempts work from the worker
    socket.create_connection(("127.0.0.1", redis_server.port), timeout=3).close()
    report = probe(bwrap_sandbox, tmp_path, {
        "unix": ["unix", socket_file],
        "tcp": ["connect", "127.0.0.1", redis_server.port],
    })
    assert not report["unix"]["ok"]
    assert report["tcp"] == {"ok": False, "error": "ConnectionRefusedError"}


def test_no_network_not_even_the_fake_github_on_loopback(bwrap_sandbox, tmp_path, fake_github):
    address = urlsplit(fake_github.url)
    socket.create_connection((address.hostname, address.port), timeout=3).close()
    report = probe(bwrap_sandbox, tmp_path, {
        "github": ["connect", address.hostname, address.port],
        "outside": ["connect", "192.0.2.1", 443],
    })
    assert report["github"] == {"ok": False, "error": "ConnectionRefusedError"}
    assert not report["outside"]["ok"]


def test_writes_land_only_in_the_scratch_copy(bwrap_sandbox, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "module.py").write_text("x = 1\n")
    outside = tmp_path / "outside.txt"
    report = probe(bwrap_sandbox, tree, {
        "scratch": ["write", "module.py"],
        "tmp": ["write", "/tmp/fresh.txt"],
        "host_path": ["write", str(outside)],
        "usr": ["write", "/usr/escaped.txt"],
        "etc": ["write", "/etc/passwd"],
        "root": ["write", "/escaped.txt"],
    })
    assert report["scratch"]["ok"] and report["tmp"]["ok"]
    for name in ("host_path", "usr", "etc", "root"):
        assert not report[name]["ok"], name
    assert (tree / "module.py").read_text() == "x = 1\n", "the original tree is untouched"
    assert not outside.exists() and not Path("/usr/escaped.txt").exists()


def test_a_fork_bomb_hits_the_process_limit_and_the_job_goes_on(bwrap_sandbox, tmp_path):
    (tmp_path / "bomb.py").write_text(
        "import os, time\nforked = 0\n"
        "while forked < 100_000:\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(600)\n        os._exit(0)\n"
        "    forked += 1\n"
        "print('forked', forked, flush=True)\n"
    )
    started = time.monotonic()
    [result] = bwrap_sandbox.run(
        tmp_path, [Command("python3 bomb.py marker-fork-bomb")], Limits(wall_seconds=60, max_processes=40)
    )
    assert result.verdict is Verdict.EXITED, result
    forked = int(result.output.split()[-1])
    assert 0 < forked < 40
    assert time.monotonic() - started < 60
    assert processes_with("marker-fork-bomb") == [], "the children died with the sandbox"


def test_printing_100_mb_is_cut_at_the_output_limit(bwrap_sandbox, tmp_path):
    started = time.monotonic()
    [result] = bwrap_sandbox.run(
        tmp_path,
        [Command("python3 -c \"import sys; [sys.stdout.write('x' * 1_000_000) for _ in range(100)]\"")],
        Limits(max_output_bytes=64 * 1024),
    )
    assert result.verdict is Verdict.OUTPUT_LIMIT
    assert result.exit_code is None and len(result.output) == 64 * 1024
    assert time.monotonic() - started < 30


def test_sleeping_past_the_limit_kills_the_whole_tree(bwrap_sandbox, tmp_path):
    started = time.monotonic()
    [result] = bwrap_sandbox.run(
        tmp_path,
        # A detached child in its own session tries to outlive the kill.
        [Command("setsid sleep 311 & sleep 312; echo never")],
        Limits(wall_seconds=2),
    )
    assert result.verdict is Verdict.TIMED_OUT
    assert "never" not in result.output
    assert 2 <= time.monotonic() - started < 20
    deadline = time.monotonic() + 10
    while processes_with("311") + processes_with("312") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with("sleep 311") == [] and processes_with("sleep\x00311") == []
    assert processes_with("sleep\x00312") == []


def test_memory_beyond_the_limit_is_refused(bwrap_sandbox, tmp_path):
    [result] = bwrap_sandbox.run(
        tmp_path,
        [Command("python3 -c \"b = bytearray(1_500_000_000); print('allocated')\"")],
        Limits(memory_bytes=512 << 20),
    )
    assert result.verdict is Verdict.EXITED and result.exit_code != 0
    assert "MemoryError" in result.output and "allocated" not in result.output


def test_setup_and_command_share_the_scratch_copy_and_a_failure_stops_the_rest(bwrap_sandbox, tmp_path):
    results = bwrap_sandbox.run(
        tmp_path,
        [Command("echo built > artefact"), Command("cat artefact; exit 3"), Command("echo unreached")],
        Limits(),
    )
    assert [r.exit_code for r in results] == [0, 3]
    assert results[1].output == "built\n"
    assert not (tmp_path / "artefact").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_the_python_inside_is_the_worker_s(bwrap_sandbox, tmp_path):
    [result] = bwrap_sandbox.run(tmp_path, [Command("python3 -c 'import sys; print(sys.version)'")], Limits())
    assert result.output.strip() == sys.version
