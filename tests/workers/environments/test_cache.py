"""Environments built with uv in the sandbox from a local wheel folder (no network), cached by key.

The package "from the index" is a wheel made in the test; builds use `--no-index --find-links`,
so these tests are offline and deterministic. The sandbox is the real bubblewrap one.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from tests.support.wheels import make_wheel
from workers.environments.cache import EnvironmentCache
from workers.environments.lease import FileLease, RedisLease
from workers.environments.mount import BuildFailure, BuiltEnvironment
from workers.environments.plan import EnvironmentSettings, IndexSettings, derive_plan
from workers.sandbox.port import Limits

TEST = "import tinydep\n\ndef test_answer():\n    assert tinydep.answer() == 42\n"


class Recorded:
    """The cache's metrics port, recording what it is told."""

    def __init__(self):
        self.builds: list[str] = []
        self.hits = 0
        self.bytes = 0

    def environment_built(self, outcome: str, seconds: float) -> None:
        self.builds.append(outcome)

    def environment_reused(self) -> None:
        self.hits += 1

    def environment_cache_bytes(self, size: int) -> None:
        self.bytes = size


@pytest.fixture
def wheels(tmp_path) -> IndexSettings:
    folder = tmp_path / "wheels"
    make_wheel(folder, "tinydep", "1.0", {"tinydep/__init__.py": "def answer():\n    return 42\n"})
    make_wheel(folder, "otherdep", "2.0", {"otherdep/__init__.py": "VALUE = 7\n"})
    return IndexSettings(find_links=(str(folder),), no_index=True)


def repo(root: Path, requirements: str = "tinydep\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements-test.txt").write_text(requirements)
    (root / "test_dep.py").write_text(TEST)
    return root


def test_a_build_installs_the_package_and_the_tests_import_it_offline(bwrap_sandbox, tmp_path, wheels):
    tree = repo(tmp_path / "repo")
    plan = derive_plan(tree, index=wheels)
    metrics = Recorded()
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox, metrics=metrics)
    built = cache.ensure(plan, tree)
    assert isinstance(built, BuiltEnvironment), built
    assert not built.reused and built.key == plan.key and built.size_bytes > 0
    # The worker's pytest is the runner (the plan is offline); the venv's python is first on PATH.
    [result] = bwrap_sandbox.run(tree, [built.command("python -m pytest -q -p no:cacheprovider test_dep.py && "
                                                      "python -c 'import sys; print(sys.prefix)'")], Limits())
    assert result.passed, result.output
    assert "1 passed" in result.output and "/opt/iquest/env/venv" in result.output
    # Without the environment the same test cannot import the package.
    [plain] = bwrap_sandbox.run(tree, [built.command("python3 -c 'import tinydep'", {"PATH": "/usr/bin:/bin"})], Limits())
    assert not plain.passed and "ModuleNotFoundError" in plain.output
    # A second ensure, and another cache on the same folder (another worker), reuse it.
    again = cache.ensure(plan, tree)
    other = EnvironmentCache(tmp_path / "cache", bwrap_sandbox).ensure(plan, tree)
    assert again.reused and other.reused and again.path == built.path
    assert metrics.builds == ["built"] and metrics.hits == 1
    [entry] = cache.entries()
    assert entry.key == plan.key and entry.size_bytes == built.size_bytes and "tinydep" in entry.log_tail


def test_a_failed_build_says_which_command_failed_and_why(bwrap_sandbox, tmp_path, wheels):
    tree = repo(tmp_path / "repo", "tinydep\nnot-a-real-package==9.9\n")
    plan = derive_plan(tree, index=wheels)
    metrics = Recorded()
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox, metrics=metrics)
    failure = cache.ensure(plan, tree)
    assert isinstance(failure, BuildFailure)
    reason = failure.reason()
    assert reason.startswith("the test environment could not be built: `uv pip install -r requirements-test.txt` failed:")
    assert "not-a-real-package" in reason
    # Remembered: the next job gets the same answer without building again.
    assert cache.ensure(plan, tree).reason() == reason
    assert metrics.builds == ["failed"]
    assert cache.entries() == []


def test_files_the_build_writes_into_the_tree_are_laid_over_each_run(bwrap_sandbox, tmp_path, wheels):
    tree = repo(tmp_path / "repo")
    (tree / "test_version.py").write_text("from _version import V\n\ndef test_v():\n    assert V == 3\n")
    settings = EnvironmentSettings(commands=("python -c \"open('_version.py', 'w').write('V = 3')\"",))
    plan = derive_plan(tree, settings, index=wheels)
    built = EnvironmentCache(tmp_path / "cache", bwrap_sandbox).ensure(plan, tree)
    assert isinstance(built, BuiltEnvironment), built
    assert built.overlay() == {"_version.py": b"V = 3"}
    assert not (tree / "_version.py").exists()  # the original tree is never touched
    [result] = bwrap_sandbox.run(tree, [built.command("python -m pytest -q -p no:cacheprovider test_version.py")],
                                 Limits(), built.overlay())
    assert result.passed, result.output


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_one_build_per_key_when_workers_ask_at_once(bwrap_sandbox, tmp_path, wheels, kind, request):
    tree = repo(tmp_path / "repo")
    plan = derive_plan(tree, index=wheels)
    metrics = Recorded()
    answers: list = []

    def worker() -> None:
        lease = RedisLease(request.getfixturevalue("redis_client")) if kind == "redis" else FileLease(tmp_path / "cache" / "locks")
        cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox, lease=lease, metrics=metrics)
        answers.append(cache.ensure(plan, tree))

    if kind == "redis":
        request.getfixturevalue("redis_client")  # started before the threads
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == 3 and all(isinstance(a, BuiltEnvironment) for a in answers), answers
    assert metrics.builds == ["built"] and metrics.hits == 2
    assert sorted(a.reused for a in answers) == [False, True, True]


def test_least_recently_used_go_first_past_the_cap(bwrap_sandbox, tmp_path, wheels):
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox)
    first = repo(tmp_path / "one", "tinydep\n")
    second = repo(tmp_path / "two", "otherdep\n")
    a = cache.ensure(derive_plan(first, index=wheels), first)
    b = cache.ensure(derive_plan(second, index=wheels), second)
    assert isinstance(a, BuiltEnvironment) and isinstance(b, BuiltEnvironment)
    cache.lookup(a.key)  # a is used again: b is now the least recently used
    import os
    os.utime(b.path / "last-used", (1, 1))
    removed = cache.evict(cap_bytes=a.size_bytes + 1)
    assert [e.key for e in removed] == [b.key]
    assert cache.lookup(b.key) is None and cache.lookup(a.key) is not None


def test_the_worker_metrics_count_builds_hits_and_bytes(bwrap_sandbox, tmp_path, wheels):
    from workers.operations.metrics import WorkerMetrics

    metrics = WorkerMetrics()
    tree = repo(tmp_path / "repo")
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox, metrics=metrics)
    built = cache.ensure(derive_plan(tree, index=wheels), tree)
    cache.ensure(derive_plan(tree, index=wheels), tree)
    broken = repo(tmp_path / "broken", "no-such-thing\n")
    cache.ensure(derive_plan(broken, index=wheels), broken)
    value = metrics.registry.get_sample_value
    assert value("iquest_environment_builds_total", {"outcome": "built"}) == 1
    assert value("iquest_environment_builds_total", {"outcome": "failed"}) == 1
    assert value("iquest_environment_build_seconds_count") == 2
    assert value("iquest_environment_cache_hits_total") == 1
    assert value("iquest_environment_cache_bytes") == built.size_bytes


def test_a_private_index_on_loopback_reaches_the_build_only(bwrap_sandbox, tmp_path, wheels):
    import functools
    import http.server
    import json

    # A PEP 503 simple index of the wheel folder, with a password in its URL.
    root = tmp_path / "index"
    (root / "simple" / "tinydep").mkdir(parents=True)
    wheel = Path(wheels.find_links[0]) / "tinydep-1.0-py3-none-any.whl"
    (root / "simple" / "tinydep" / wheel.name).write_bytes(wheel.read_bytes())
    (root / "simple" / "tinydep" / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://reader:s3cret@127.0.0.1:{server.server_address[1]}/simple"
        tree = repo(tmp_path / "repo")
        (tree / "requirements-test.txt").write_text("tinydep\n")
        plan = derive_plan(tree, EnvironmentSettings(install=("-r requirements-test.txt",)),
                           index=IndexSettings(index_url=url))
        assert "s3cret" not in plan.render() and "s3cret" not in json.dumps(plan.as_json())
        # The runner the plan adds (pytest) is not on this index: the build installs tinydep only.
        plan = dataclasses.replace(plan, steps=plan.steps[:1])
        built = EnvironmentCache(tmp_path / "cache", bwrap_sandbox).ensure(plan, tree)
        assert isinstance(built, BuiltEnvironment), built
        assert "s3cret" not in (built.path / "build.log").read_text()
        [result] = bwrap_sandbox.run(tree, [built.command("python -c 'import tinydep; print(tinydep.answer())'")], Limits())
        assert result.passed and "42" in result.output
    finally:
        server.shutdown()


def test_a_build_reaches_no_service_on_the_worker_s_loopback(bwrap_sandbox, tmp_path, wheels):
    import http.server

    class Secret(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"worker secret")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tree = repo(tmp_path / "repo")
        fetch = (f"python -c \"import urllib.request; print(urllib.request.urlopen("
                 f"'http://127.0.0.1:{server.server_address[1]}/', timeout=10).read())\"")
        # With an index (network on, through the egress proxy), the build's command tries loopback.
        plan = derive_plan(tree, EnvironmentSettings(install=("tinydep",), commands=(fetch,)),
                           index=IndexSettings(find_links=wheels.find_links))
        plan = dataclasses.replace(plan, steps=plan.steps[:1])  # tinydep only: no PyPI needed
        failure = EnvironmentCache(tmp_path / "cache", bwrap_sandbox).ensure(plan, tree)
        assert isinstance(failure, BuildFailure), failure
        assert "worker secret" not in failure.log_tail
        assert "403" in failure.log_tail or "Forbidden" in failure.log_tail or "Refused" in failure.log_tail
    finally:
        server.shutdown()


def test_the_egress_rules():
    from workers.environments.egress import check_destination

    assert check_destination("127.0.0.1", 443, frozenset()) == "127.0.0.1 resolves to a local or private address (127.0.0.1)"
    assert "local or private" in check_destination("169.254.169.254", 80, frozenset())
    assert "local or private" in check_destination("10.1.2.3", 443, frozenset())
    assert check_destination("8.8.8.8", 6379, frozenset()) == "port 6379 is not allowed"
    assert check_destination("127.0.0.1", 8080, frozenset({"127.0.0.1"})) == ("127.0.0.1", 8080)
    assert check_destination("8.8.8.8", 443, frozenset()) == ("8.8.8.8", 443)
