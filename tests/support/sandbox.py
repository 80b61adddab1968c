"""The sandbox under test: bubblewrap when this machine can run it; else skip (fail in CI)."""

from __future__ import annotations

import os

import pytest

from workers.sandbox.select import SandboxBackend, build_sandbox


@pytest.fixture(scope="session")
def bwrap_sandbox(tmp_path_factory):
    sandbox = build_sandbox(SandboxBackend.AUTO, tmp_path_factory.mktemp("scratch"))
    if not sandbox.available:
        message = f"sandbox tests need bubblewrap: {sandbox.reason}"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run installs it)")
        pytest.skip(message)
    return sandbox
