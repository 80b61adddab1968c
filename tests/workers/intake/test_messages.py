"""The bot's comments: markers, states, and never a line that would trigger the bot."""

from __future__ import annotations

from workers.github.port import Comment
from workers.intake.commands import parse_command
from workers.intake.messages import (
    StatusState,
    find_marked,
    help_marker,
    render_help,
    render_status,
    status_marker,
)


def test_status_carries_marker_and_state() -> None:
    body = render_status(12, StatusState.QUEUED, "job-1")
    assert status_marker(12) in body
    assert "Queued" in body
    assert "job-1" in body


def test_bot_text_never_triggers_the_bot() -> None:
    body = render_status(1, StatusState.FAILED, "j", details="/iquest fix\nretry with /iquest fix")
    assert parse_command(body) is None
    help_text = render_help(5, "autofix", "iquest", "write", "a: 1", ".github/iquest.yml", None, "x")
    assert parse_command(help_text) is None
    assert help_marker(5) in help_text
    assert "`x` is not a command" in help_text


def test_find_marked_ignores_humans_and_other_bots_quoting_the_marker() -> None:
    marker = status_marker(3)
    human = Comment(1, f"quoting {marker}", "alice")
    other = Comment(3, f"Welcome! You wrote: {marker}", "welcome-bot[bot]", author_is_bot=True)
    own = Comment(2, f"{marker}\nQueued", "iquest-autofix[bot]", author_is_bot=True, by_app=True)
    assert find_marked([human, other], marker) is None
    assert find_marked([human, other, own], marker) == own
