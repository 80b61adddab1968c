"""Helpers for the edit tests: lay files out under a root, apply a response, read back."""

from __future__ import annotations

from pathlib import Path

from workers.pipeline.edits.apply import ApplyPlan, plan_edits
from workers.pipeline.edits.file_writer import write_changes
from workers.pipeline.edits.parse import parse_response


def lay_out(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def apply_response(root: Path, response: str, protected: tuple[str, ...] = ()) -> ApplyPlan:
    """Plan and write, as the pipeline does; raises EditRefused with nothing written."""
    plan = plan_edits(root, parse_response(response), protected)
    write_changes(root, plan.changes)
    return plan


def sr_block(path: str, search: str, replace: str) -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"
