"""The README stays a page a newcomer reads to the end: at most 300 lines, and its command
table names every `iquest` subcommand (the rest of the documentation is in docs/)."""

from __future__ import annotations

import re
from pathlib import Path

from workers.cli import SUBCOMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_is_at_most_300_lines() -> None:
    assert len(README.read_text().splitlines()) <= 300


def test_the_command_table_names_every_subcommand() -> None:
    text = README.read_text()
    table = text[text.index("## Commands"):]
    rows = set(re.findall(r"^\| `iquest ([\w-]+)", table, re.M))
    assert set(SUBCOMMANDS) - rows == set(), "add a row to the README's command table"
