"""`iquest context`: show exactly the code section the model would get for an issue."""

from __future__ import annotations

import argparse
import json
import sys

from workers.cli.local_tree import add_tree_arguments, read_inputs, say

# A model server that does not answer this fast is treated as absent: the command must work
# offline, with the estimate.
PROBE_TIMEOUT_SECONDS = 2.0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `context` subcommand."""
    parser = subparsers.add_parser(
        "context",
        help="show the code the model would be shown for an issue",
        description=(
            "Rank the tree's files for the issue and pack them into the token budget as the "
            "fix pipeline does; print the packed code section, or with --json what it holds."
        ),
    )
    add_tree_arguments(parser, "repository tree (no .git needed)")
    parser.add_argument("--budget", required=True, type=int, help="tokens the code section may use")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"tokens": N, "files": [{"path": P, "spans": [[start, end], ...]}]} instead',
    )
    return parser


def _say(message: str) -> None:
    say("context", message)


def _tokenizer():
    """The model server's /tokenize when it answers, else the estimate; says which on stderr."""
    from workers.config import Settings
    from workers.model.tokenizer import EstimatingTokenizer, VllmTokenizer

    settings = Settings()
    key = settings.model_api_key
    server = VllmTokenizer(
        settings.model_base_url,
        settings.model,
        timeout_seconds=PROBE_TIMEOUT_SECONDS,
        api_key=key.get_secret_value() if key else None,
    )
    server.count_tokens("probe")
    if server.available:
        _say(f"tokens counted by the model server's /tokenize at {server.url}")
        return server
    server.close()
    estimate = EstimatingTokenizer()
    _say(
        f"tokens estimated ({estimate.bytes_per_token:g} bytes per token): no /tokenize "
        f"answered at {server.url}"
    )
    return estimate


def _narrower(query: str):
    """With IQUEST_CONTEXT_NARROWING on, the model server narrows first (docs/context.md)."""
    from workers.config import Settings

    settings = Settings()
    if not settings.context_narrowing:
        return None
    from workers.model.from_settings import model_from_settings
    from workers.pipeline.context.narrow import Narrower
    from workers.pipeline.prompts.sanitize import sanitize_untrusted

    _say(f"model-assisted narrowing on ({settings.context_narrowing_tokens} tokens)")
    return Narrower(
        model_from_settings(settings),
        sanitize_untrusted(query),
        settings.context_narrowing_tokens,
    )


def run(args: argparse.Namespace) -> int:
    """Pack and print; exit 2 with a reason on stderr when the inputs are unusable."""
    from workers.pipeline.context.gather import gather_code
    from workers.pipeline.prompts.fix import IssueText

    issue = read_inputs(args, "context", non_negative=("budget",))
    if issue is None:
        return 2
    title, _, body = issue.partition("\n")
    # The pipeline searches with the issue as `IssueText.as_query` joins it.
    query = IssueText(0, title.strip(), body.strip()).as_query()
    tokenizer = _tokenizer()
    try:
        code = gather_code(args.root, query, args.budget, tokenizer, narrower=_narrower(query)).code
    finally:
        close = getattr(tokenizer, "close", None)
        if close:
            close()
    if args.json:
        files = [
            {"path": block.path, "spans": [[start, end] for start, end in block.spans]}
            for block in code.files
        ]
        print(json.dumps({"tokens": code.tokens, "files": files}))
    else:
        sys.stdout.write(code.text)
        _say(f"{code.tokens} of {args.budget} tokens, {len(code.files)} files")
    return 0
