"""Fixture plugins, and the `slow` marker that splits `make test` from `make test-fast`.

A test is `slow` when it starts real processes — Celery workers, `iquest` subprocesses, the
sandbox, a browser, a wheel build — or runs a long property or fuzz search. `make test-fast`
runs the rest (`-m "not slow"`); `make test` runs everything, side by side (pytest-xdist).
Tests asking for a process fixture are marked by that; modules that start processes of their
own are listed in SLOW_PATHS. A new test that starts a process: use the `worker` or
`launch_worker` fixture, or add its module here (or mark it `@pytest.mark.slow`).
"""

from __future__ import annotations

import pytest

# pytest only honours pytest_plugins in the rootdir conftest; add further fixture plugins here.
pytest_plugins = [
    "tests.fakes.github.fixtures",
    "tests.support.sandbox",
    "tests.support.redis_server",
    "tests.support.receiver",
    "tests.support.worker",
    "tests.support.model",
    "tests.support.postgres",
]

# Fixtures that start a worker process or the bubblewrap sandbox.
SLOW_FIXTURES = frozenset({"worker", "launch_worker", "bwrap_sandbox"})
# Modules (or folders, ending in /) whose tests start processes themselves, or search long.
SLOW_PATHS = (
    "tests/test_action.py",
    "tests/test_quick_start.py",
    "tests/test_wheel_install.py",
    "tests/service/test_api_schema.py",
    "tests/service/test_connections.py",
    "tests/service/test_setup_browser.py",
    "tests/service/test_webhook_durability.py",
    "tests/service/test_webhook_hostile.py",
    "tests/service/test_webhook_outage_under_load.py",
    "tests/workers/cli/",
    "tests/workers/doctor/test_doctor_cli.py",
    "tests/workers/handlers/",
    "tests/workers/operations/test_logcontext.py",
    "tests/workers/operations/test_metrics.py",
    "tests/workers/operations/test_periodic.py",
    "tests/workers/pipeline/context/test_hostile_tree.py",
    "tests/workers/pipeline/edits/test_apply_properties.py",
    "tests/workers/pipeline/verify/test_verified_fix.py",
    "tests/workers/sandbox/",
    "tests/workers/sharing/",
    "tests/workers/test_github_faults.py",
    "tests/workers/test_injection.py",
    "tests/workers/test_model_faults.py",
    "tests/workers/test_publish_crashes.py",
    "tests/workers/test_redis_restart.py",
    "tests/workers/test_secrets.py",
    "tests/workers/test_tasks.py",
    "tests/workers/test_walking_skeleton.py",
    "tests/workers/test_worker_crashes.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts real processes or searches long; left out of make test-fast"
    )


def _is_slow(item: pytest.Item) -> bool:
    path = item.nodeid.split("::", 1)[0]
    return (
        item.get_closest_marker("slow") is not None
        or not SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        or any(path == slow or (slow.endswith("/") and path.startswith(slow))
               for slow in SLOW_PATHS)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = {id(item) for item in items if _is_slow(item)}
    for item in items:
        if id(item) in slow:
            item.add_marker(pytest.mark.slow)
    # Slow tests first (stable: each group keeps its order). xdist hands tests out in this
    # order, so the long ones start at once instead of one of them running alone at the end.
    items.sort(key=lambda item: id(item) not in slow)
