"""Small repositories written into a test's tmp_path."""

from __future__ import annotations

from pathlib import Path


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write each path's content under root (bytes as they are, text as UTF-8) and return root."""
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def filler_module(name: str, functions: int = 3) -> str:
    """A plausible module whose words are unrelated to any test issue."""
    body = [f'"""Helpers for {name}."""', "", "import os", ""]
    for index in range(functions):
        body += [
            f"def {name}_step_{index}(value):",
            f"    return os.path.join(value, '{index}')",
            "",
        ]
    return "\n".join(body)
