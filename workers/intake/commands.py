"""The `/iquest` comment grammar: which command a comment body asks for, if any."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CommandKind(StrEnum):
    FIX = "fix"
    HELP = "help"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    text: str = ""  # free text after `/iquest fix` (instructions for the model) or `help` (a path)
    unknown: str = ""  # a subcommand we do not know; answered with help


_FENCE = re.compile(r"^\s*(```|~~~)")


def parse_command(body: str | None, word: str = "iquest") -> Command | None:
    """The first `/word ...` line outside code fences and quotes, or None.

    Only a line that starts with the command counts: a mention inside prose, a quoted
    reply (`> /iquest fix`) or a code block is someone talking about the bot.
    """
    if not isinstance(body, str) or not body:
        return None
    pattern = re.compile(rf"^/{re.escape(word)}(?:\s+(\S+))?(?:\s+(.*))?$", re.IGNORECASE)
    in_fence = False
    for raw_line in body.splitlines():
        if _FENCE.match(raw_line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = pattern.match(raw_line.strip())
        if not match:
            continue
        sub = (match.group(1) or "help").lower()
        rest = (match.group(2) or "").strip()
        if sub == CommandKind.FIX:
            return Command(CommandKind.FIX, text=rest)
        if sub == CommandKind.HELP:
            # `/iquest help services/billing`: the settings in force for that path.
            return Command(CommandKind.HELP, text=rest)
        if sub == CommandKind.CANCEL:
            return Command(CommandKind.CANCEL)
        return Command(CommandKind.HELP, unknown=sub)
    return None
