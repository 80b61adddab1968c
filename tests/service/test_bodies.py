"""Spooled bodies: what stays in memory, what goes to disk, and the budgets given back."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from service.bodies import SpoolBudget, SpooledBody, SpoolFull


def _fill(body: SpooledBody, data: bytes, chunk: int = 1000) -> None:
    for start in range(0, len(data), chunk):
        body.append(data[start:start + chunk])


def test_a_body_keeps_its_head_in_memory_and_spools_the_rest() -> None:
    disk, memory = SpoolBudget(10_000), SpoolBudget(4096)
    data = bytes(range(256)) * 30  # 7680 bytes
    body = SpooledBody(4096, disk, memory)
    _fill(body, data)
    assert (memory.used, disk.used) == (4096, len(data) - 4096)
    assert body.read() == data
    assert body.hmac_hex(b"k") == hmac.new(b"k", data, hashlib.sha256).hexdigest()
    body.close()
    assert (memory.used, disk.used) == (0, 0)


def test_many_bodies_at_once_spill_to_disk_instead_of_growing_memory() -> None:
    disk, memory = SpoolBudget(1_000_000), SpoolBudget(3000)
    bodies = [SpooledBody(2000, disk, memory) for _ in range(4)]
    for number, body in enumerate(bodies):
        _fill(body, bytes([number]) * 5000)
    assert memory.used <= 3000
    assert [body.read() for body in bodies] == [bytes([n]) * 5000 for n in range(4)]
    for body in bodies:
        body.close()
    assert (memory.used, disk.used) == (0, 0)


def test_past_the_spool_budget_a_body_is_refused() -> None:
    disk, memory = SpoolBudget(1500), SpoolBudget(1000)
    body = SpooledBody(1000, disk, memory)
    with pytest.raises(SpoolFull):
        _fill(body, b"x" * 4000)
    body.close()
    assert (memory.used, disk.used) == (0, 0)
