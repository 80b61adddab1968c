"""Which comments of a thread are quoted to the model: decided from the thread, no extra calls."""

from __future__ import annotations

from workers.github.port import Comment, Permission
from workers.handlers.fix_issue import trusted_comments

THREAD = [
    Comment(1, "owner says", "olivia", association="OWNER"),
    Comment(2, "member says", "mia", association="MEMBER"),
    Comment(3, "collaborator says", "carl", association="COLLABORATOR"),
    Comment(4, "contributor says", "cody", association="CONTRIBUTOR"),
    Comment(5, "stranger says", "sam", association="NONE"),
    Comment(6, "sender says", "alice", association="NONE"),
    Comment(7, "bot says", "iquest-autofix[bot]", author_is_bot=True, association="OWNER"),
]


def test_the_owner_and_the_checked_sender_count_when_write_is_required() -> None:
    # A MEMBER or COLLABORATOR association may stand for read access only: not enough.
    assert trusted_comments(THREAD, Permission.WRITE, sender="alice") == [
        "owner says", "sender says"
    ]


def test_above_write_only_owners_and_the_checked_sender_count() -> None:
    assert trusted_comments(THREAD, Permission.MAINTAIN, sender="alice") == [
        "owner says", "sender says"
    ]
    assert trusted_comments(THREAD, Permission.ADMIN) == ["owner says"]


def test_when_nothing_is_required_everyone_but_bots_counts() -> None:
    assert trusted_comments(THREAD, Permission.NONE) == [
        c.body for c in THREAD if not c.author_is_bot
    ]
