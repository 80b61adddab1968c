"""`iquest event --name NAME --path FILE`: what a GitHub Actions event asks of `iquest fix`.

The Action's gate. It applies the App's own trigger rules (workers/intake/triggers.py) to the
workflow's event payload: the trigger label on an open issue, or `/iquest fix` commented by
an OWNER, MEMBER or COLLABORATOR; bots never trigger. It prints `key=value` lines for
`$GITHUB_OUTPUT`: `run=true`, `number=N` and `requested-by=LOGIN` when there is an issue to
fix, `run=false` otherwise, with the reason on stderr. Comments on pull requests are not
acted on: the Action fixes issues only, so a fork's pull request never runs with the
workflow's secrets.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "event",
        help="decide whether a GitHub Actions event asks for a fix (the Action's gate)",
        description=__doc__.split("\n\n", 1)[1].replace("\n", " "),
    )
    parser.add_argument("--name", required=True, help="the event name ($GITHUB_EVENT_NAME)")
    parser.add_argument("--path", required=True, type=Path, help="the payload ($GITHUB_EVENT_PATH)")


def _skip(reason: str) -> int:
    print(f"iquest event: nothing to do: {reason}", file=sys.stderr)
    print("run=false")
    return 0


def run(args: argparse.Namespace) -> int:
    from workers.config import Settings
    from workers.intake.jobs import JobKind
    from workers.intake.triggers import Delivery, Ignored, TriggerRules, decide

    try:
        payload = json.loads(args.path.read_text())
    except (OSError, ValueError) as error:
        print(f"iquest event: cannot read the event payload {args.path}: {error}", file=sys.stderr)
        return 2
    if not isinstance(payload, dict):
        print(f"iquest event: {args.path} is not a JSON object", file=sys.stderr)
        return 2
    settings = Settings()
    # An Actions event is not sent to an App, so it names no installation; the rules want
    # one, and `iquest fix` with a token uses none: any valid id stands in.
    delivery = Delivery(args.name, "actions", {**payload, "installation": {"id": 1}})
    decision = decide(delivery, TriggerRules(settings.trigger_label, settings.command_word))
    if isinstance(decision, Ignored):
        return _skip(decision.reason)
    if decision.kind is not JobKind.FIX_ISSUE:
        return _skip(
            f"{decision.kind.value} on #{decision.number}: the Action fixes issues only; "
            "pull requests need the iquest GitHub App"
        )
    print("run=true")
    print(f"number={decision.number}")
    print(f"requested-by={decision.sender_login}")
    return 0
