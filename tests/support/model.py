"""The scripted OpenAI-compatible model server as a fixture; unused or unexpected replies fail the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.model_server import ScriptedModelServer


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    server = ScriptedModelServer().start()
    try:
        yield server
    finally:
        server.stop()
    server.verify()
