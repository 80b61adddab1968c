"""`iquest localize`: print the files an issue most likely needs edited, as a JSON array."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_TOP_K = 10


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `localize` subcommand."""
    parser = subparsers.add_parser(
        "localize",
        help="rank the files of a tree by how likely an issue needs them edited",
        description="Print a JSON array of repo-relative paths, most likely to need editing first.",
    )
    parser.add_argument("--root", required=True, type=Path, help="repository tree (no .git needed)")
    parser.add_argument(
        "--issue-file",
        required=True,
        type=Path,
        help="file holding the issue's title (first line) and body",
    )
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, help="at most this many paths")
    return parser


def run(args: argparse.Namespace) -> int:
    """Rank and print; exit 2 with a reason on stderr when the inputs are unusable."""
    from workers.pipeline.context.localize import localize

    if not args.root.is_dir():
        print(f"iquest localize: --root {args.root} is not a directory", file=sys.stderr)
        return 2
    if args.top_k < 0:
        print("iquest localize: --top-k must be zero or more", file=sys.stderr)
        return 2
    try:
        issue = args.issue_file.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        print(f"iquest localize: cannot read --issue-file: {error.strerror}", file=sys.stderr)
        return 2
    print(json.dumps(localize(args.root, issue, args.top_k)))
    return 0
