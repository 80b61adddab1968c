"""What `localize`, `context` and `repair` share: a local tree (`--root`) and an issue
(`--issue-file`: its title on the first line, the body after; `-` reads stdin), checked the
same way, with one kind of error for whatever makes them unusable (exit 2, reason on stderr)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class UnusableInput(Exception):
    """The root or the issue cannot be used; the message says which and why."""


def add_tree_arguments(parser: argparse.ArgumentParser, root_help: str) -> None:
    parser.add_argument("--root", required=True, type=Path, help=root_help)
    parser.add_argument(
        "--issue-file",
        required=True,
        type=Path,
        help="file holding the issue's title (first line) and body ('-' for stdin)",
    )


def say(command: str, message: str) -> None:
    print(f"iquest {command}: {message}", file=sys.stderr, flush=True)


def read_inputs(
    args: argparse.Namespace, command: str, non_negative: tuple[str, ...] = ()
) -> str | None:
    """The issue's text; None once the reason it cannot be had is said on stderr (exit 2).
    `non_negative` names options (`top_k`) that must be zero or more."""
    try:
        for name in non_negative:
            if getattr(args, name) < 0:
                raise UnusableInput(f"--{name.replace('_', '-')} must be zero or more")
        return read_tree_and_issue(args)
    except UnusableInput as error:
        say(command, str(error))
        return None


def read_tree_and_issue(args: argparse.Namespace) -> str:
    """The issue's text, once `--root` is known to be a folder; raises UnusableInput."""
    if not args.root.is_dir():
        raise UnusableInput(f"--root {args.root} is not a folder")
    try:
        raw = sys.stdin.buffer.read() if str(args.issue_file) == "-" else args.issue_file.read_bytes()
    except OSError as error:
        raise UnusableInput(f"cannot read --issue-file: {error.strerror}") from error
    return raw.decode("utf-8", errors="replace")
