"""One row per check, and the two ways to print them (a table for people, JSON for machines)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    required: bool
    detail: str
    fix: str = ""


def healthy(checks: list[Check]) -> bool:
    """True when no required check failed (optional ones only warn)."""
    return all(check.ok or not check.required for check in checks)


def as_json(checks: list[Check]) -> str:
    return json.dumps({"ok": healthy(checks), "checks": [asdict(c) for c in checks]}, indent=2)


def as_table(checks: list[Check]) -> str:
    width = max((len(c.name) for c in checks), default=0)
    lines = []
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.required else "warn")
        line = f"{mark}  {check.name.ljust(width)}  {check.detail}"
        if not check.ok and check.fix:
            line += f"\n      {' ' * width}  fix: {check.fix}"
        lines.append(line)
    lines.append("all required checks pass" if healthy(checks)
                 else "a required check failed: see the FAIL lines above")
    return "\n".join(lines)
