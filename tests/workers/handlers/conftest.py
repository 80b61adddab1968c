"""Fixtures of the handler tests."""

from __future__ import annotations

import pytest

from tests.workers.handlers.showcase_repo import seed_showcase


@pytest.fixture
def showcase(fake_github):
    return seed_showcase(fake_github)
