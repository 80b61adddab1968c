"""`iquest localize`: print the files an issue most likely needs edited, as a JSON array."""

from __future__ import annotations

import argparse
import json

from workers.cli.local_tree import add_tree_arguments, read_inputs

DEFAULT_TOP_K = 10


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `localize` subcommand."""
    parser = subparsers.add_parser(
        "localize",
        help="rank the files of a tree by how likely an issue needs them edited",
        description="Print a JSON array of repo-relative paths, most likely to need editing first.",
    )
    add_tree_arguments(parser, "repository tree (no .git needed)")
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, help="at most this many paths")
    return parser


def run(args: argparse.Namespace) -> int:
    """Rank and print; exit 2 with a reason on stderr when the inputs are unusable."""
    from workers.pipeline.context.localize import localize

    issue = read_inputs(args, "localize", non_negative=("top_k",))
    if issue is None:
        return 2
    print(json.dumps(localize(args.root, issue, args.top_k)))
    return 0
