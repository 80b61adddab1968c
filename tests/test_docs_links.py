"""Every relative link in README.md, ARCHITECTURE.md and docs/*.md resolves: the file or folder
exists, and a `#anchor` into a Markdown file names one of its headings (GitHub's slugs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_EXTERNAL = ("http://", "https://", "mailto:")


def _outside_code(text: str) -> str:
    """The text with fenced blocks and inline code blanked: links there are examples."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def links(page: Path) -> list[str]:
    return [m.group(1) for m in _LINK.finditer(_outside_code(page.read_text()))
            if not m.group(1).startswith(_EXTERNAL)]


def test_slugs_follow_github() -> None:
    assert slug("The sandbox (`workers/sandbox/`)") == "the-sandbox-workerssandbox"
    assert slug("Without GitHub: `POST /repair` (CI/CD use)") == "without-github-post-repair-cicd-use"
    assert slug("Reliability and security") == "reliability-and-security"


def test_the_readme_links_to_every_page_in_docs() -> None:
    linked = {target.split("#")[0] for target in links(ROOT / "README.md")}
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set(), "README.md does not link these docs pages"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    found = links(page)
    broken = []
    for target in found:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == [], f"{page.name}: {broken}"
