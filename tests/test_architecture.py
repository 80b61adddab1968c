"""ARCHITECTURE.md stays true: every package under workers/ (its first level and the
pipeline's stages) and service/ has its paragraph there."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _packages() -> list[str]:
    """`service/`, `workers/X/` and `workers/pipeline/X/` for every folder with `__init__.py`."""
    found = ["service/"]
    for parent in (ROOT / "workers", ROOT / "workers" / "pipeline"):
        found += [
            f"{path.parent.relative_to(ROOT).as_posix()}/"
            for path in sorted(parent.glob("*/__init__.py"))
        ]
    return found


def test_every_package_has_its_paragraph_in_architecture_md() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    packages = _packages()
    assert "workers/pipeline/context/" in packages and "workers/intake/" in packages
    missing = [package for package in packages if f"`{package}`" not in text
               and f"### {package}" not in text and f"#### {package}" not in text]
    assert missing == [], f"ARCHITECTURE.md does not mention {missing}"
