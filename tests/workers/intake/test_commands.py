"""The /iquest comment grammar."""

from __future__ import annotations

import pytest

from workers.intake.commands import Command, CommandKind, parse_command


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/iquest fix", Command(CommandKind.FIX)),
        ("/iquest fix keep the public API", Command(CommandKind.FIX, text="keep the public API")),
        ("/IQuest Fix  spaces  ", Command(CommandKind.FIX, text="spaces")),
        ("Thanks!\n\n/iquest help", Command(CommandKind.HELP)),
        ("/iquest", Command(CommandKind.HELP)),
        ("/iquest frobnicate", Command(CommandKind.HELP, unknown="frobnicate")),
        ("  /iquest fix indented", Command(CommandKind.FIX, text="indented")),
    ],
)
def test_commands_are_recognised(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "please run /iquest fix later",
        "> /iquest fix",
        "```\n/iquest fix\n```",
        "/iquestfix",
        "/iquester fix",
    ],
)
def test_non_commands_are_ignored(body: str | None) -> None:
    assert parse_command(body) is None


def test_first_command_line_wins_and_custom_word() -> None:
    assert parse_command("/bot help\n/bot fix x", word="bot") == Command(CommandKind.HELP)
    assert parse_command("/iquest fix", word="bot") is None
