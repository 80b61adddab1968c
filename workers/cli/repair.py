"""`iquest repair --root DIR --issue-file FILE [--apply] [--json]`: the fix pipeline on a local
checkout, with only a model server: no GitHub, no Redis, no receiver. Made for a CI step."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from workers.cli.local_tree import add_tree_arguments, read_inputs, say

EXIT_PROPOSED = 0
EXIT_REFUSED = 1  # no usable fix: edits that never applied, limits, nothing to change
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well)
EXIT_FAILED = 3  # the model server failed or could not be reached; or --apply could not write
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug of ours; no file was changed

_EXIT_HELP = (
    f"Exit {EXIT_PROPOSED}: a fix was proposed (and written, with --apply); {EXIT_REFUSED}: "
    f"refused, no usable fix (the reason is on stderr); {EXIT_USAGE}: bad arguments; "
    f"{EXIT_FAILED}: failed (the model server, or writing the files); {EXIT_INTERNAL}: "
    "internal error. No file changes unless the exit status is 0 and --apply is given."
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "repair",
        help="propose a fix for an issue in a local checkout (no GitHub, no Redis)",
        description=(
            "Run the fix pipeline on the files under --root: find the code, ask the model "
            "(IQUEST_MODEL_BASE_URL), apply its edits exactly or not at all, check the result "
            "parses. Prints the unified diff on stdout and the root cause and tests on stderr; "
            "--json prints one JSON object instead. The limits and deny_paths of "
            "--root/.github/iquest.yml apply. " + _EXIT_HELP
        ),
    )
    add_tree_arguments(parser, "the checkout to repair")
    parser.add_argument("--apply", action="store_true", help="write the fix into --root")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _say(message: str) -> None:
    say("repair", message)


@dataclass(frozen=True)
class _Change:
    """What the file writer needs: the bytes on disk now and the bytes to write."""

    path: str
    old: bytes | None
    new: bytes | None


def _write(root: Path, changes: dict[str, str | None]) -> None:
    from workers.pipeline.edits.file_writer import write_changes

    planned = []
    for path, text in sorted(changes.items()):
        target = root / path
        old = target.read_bytes() if target.is_file() else None
        planned.append(_Change(path, old, None if text is None else text.encode("utf-8")))
    write_changes(root, planned)


def _report(outcome, applied: bool) -> dict:  # type: ignore[no-untyped-def]
    proposal = outcome.proposal
    return {
        "status": outcome.status.value,
        "applied": applied,
        "reason": outcome.reason,
        "root_cause": proposal.root_cause if proposal else "",
        "explanation": proposal.explanation if proposal else "",
        "tests": proposal.tests if proposal else "",
        "files": sorted(proposal.changes) if proposal else [],
        "diff": proposal.diff if proposal else "",
        "notes": list(outcome.notes),
    }


def _compute(root: Path, title: str, body: str):  # type: ignore[no-untyped-def]
    from workers.config import Settings
    from workers.handlers.context import limits_for
    from workers.intake.repo_config import CONFIG_PATH, parse_repo_config
    from workers.model.from_settings import adapters_for_cli
    from workers.pipeline.edits.json_form import EDIT_SCHEMA, JSON_INSTRUCTION
    from workers.pipeline.prompts.fix import IssueText
    from workers.pipeline.run import propose_fix

    settings = Settings()
    config_file = root / CONFIG_PATH
    loaded = parse_repo_config(config_file.read_text() if config_file.is_file() else None)
    if loaded.error:
        _say(f"{loaded.error} Using the defaults.")
    model, tokenizer, context_tokens = adapters_for_cli(
        settings, loaded.config.structured_output, EDIT_SCHEMA, JSON_INSTRUCTION
    )
    return propose_fix(
        root,
        root.resolve().name,
        IssueText(number=0, title=title, body=body),
        model,
        tokenizer,
        context_tokens,
        limits_for(loaded.config),
        progress=_say,
    )


def run(args: argparse.Namespace) -> int:
    from workers.model.reply import ModelError
    from workers.pipeline.edits.file_writer import StaleFile
    from workers.pipeline.proposal import FixOutcome, FixStatus

    root: Path = args.root
    issue = read_inputs(args, "repair")
    if issue is None:
        return EXIT_USAGE
    title, _, body = issue.strip().partition("\n")
    title, body = title.strip(), body.strip()
    if not title:
        _say("the issue file is empty; its first line is the issue's title")
        return EXIT_USAGE
    try:
        outcome = _compute(root, title, body)
    except ModelError as error:
        outcome = FixOutcome(FixStatus.FAILED, reason=str(error))
    except Exception as error:  # a bug of ours: say so, change nothing
        _say(f"internal error, no file was changed: {type(error).__name__}: {error}")
        return EXIT_INTERNAL
    applied = False
    if outcome.status is FixStatus.PROPOSED and outcome.proposal and args.apply:
        try:
            _write(root, outcome.proposal.changes)
            applied = True
        except (OSError, StaleFile) as error:
            outcome = FixOutcome(
                FixStatus.FAILED, outcome.proposal,
                reason=f"could not write the files, none changed: {error}",
            )
    report = _report(outcome, applied)
    if args.json:
        print(json.dumps(report, indent=2))
    elif outcome.status is FixStatus.PROPOSED:
        _say(f"root cause: {report['root_cause'].strip() or '(the model did not state one)'}")
        if report["tests"].strip():
            _say(f"tests:\n{report['tests'].strip()}")
        _say(("applied to " if applied else "proposed for ") + ", ".join(report["files"]))
        sys.stdout.write(report["diff"])
    if outcome.status is FixStatus.PROPOSED:
        return EXIT_PROPOSED
    _say(f"{outcome.status.value}: {outcome.reason}")
    return EXIT_FAILED if outcome.status is FixStatus.FAILED else EXIT_REFUSED
