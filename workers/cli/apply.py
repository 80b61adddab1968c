"""`iquest apply`: apply a raw model response to files under a folder, all edits or none."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "apply",
        help="apply the edits in a model response; print the unified diff",
        description=(
            "Apply every edit in a raw model response (SEARCH/REPLACE blocks, unified "
            "diffs, whole files) to the files under --root, and print the unified diff. "
            f"Exit {EXIT_OK} on success; {EXIT_REFUSED} when an edit cannot be placed "
            f"exactly (the reason is on stderr and no file changes), {EXIT_USAGE} for bad "
            f"arguments, {EXIT_INVALID} with --strict-syntax when the edits introduce a "
            f"syntax error, {EXIT_INTERNAL} on an internal error (no file changes either). "
            "Syntax errors the edits introduce are always listed on stderr."
        ),
    )
    parser.add_argument("--root", required=True, type=Path, help="folder holding the files")
    parser.add_argument(
        "--response", required=True, help="file with the model's raw response ('-' for stdin)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check and print the diff; change nothing"
    )
    parser.add_argument(
        "--strict-syntax",
        action="store_true",
        help=f"refuse (exit {EXIT_INVALID}) when the edits introduce a syntax error; "
        "by default such errors are reported on stderr and the edits still apply",
    )
    return parser


def _read_response(name: str) -> str:
    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    return data.decode("utf-8", "replace")


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"iquest apply: {message}\n")
    return code


def _prepare(root: Path, response: str, strict_syntax: bool):
    """(plan, diff) for the response, or an exit code; writes nothing."""
    from workers.pipeline.edits.apply import plan_edits
    from workers.pipeline.edits.diffs import render_diff, verify_diff
    from workers.pipeline.edits.parse import parse_response
    from workers.pipeline.edits.types import EditRefused
    from workers.pipeline.edits.validate import validate_changes

    try:
        plan = plan_edits(root, parse_response(response))
    except EditRefused as refusal:
        return _fail(EXIT_REFUSED, f"refused ({refusal.kind.value}): {refusal.message}")
    for note in plan.notes:
        sys.stderr.write(f"iquest apply: note: {note}\n")
    report = validate_changes(plan.changes)
    for path, why in report.unchecked:
        sys.stderr.write(f"iquest apply: note: {path} not syntax-checked: {why}\n")
    if not report.ok:
        if strict_syntax:
            return _fail(
                EXIT_INVALID,
                "refused (syntax): the edits introduce syntax errors; no file was changed\n"
                + report.render_for_model(),
            )
        sys.stderr.write(
            "iquest apply: warning: the edits introduce syntax errors\n"
            + report.render_for_model()
            + "\n"
        )
    diff = render_diff(plan.changes)
    verify_diff(diff, plan.changes)
    return plan, diff


def run(args: argparse.Namespace) -> int:
    from workers.pipeline.edits.file_writer import StaleFile, write_changes

    root: Path = args.root
    if not root.is_dir():
        return _fail(EXIT_USAGE, f"--root {root} is not a folder")
    try:
        response = _read_response(args.response)
    except OSError as error:
        return _fail(EXIT_USAGE, f"cannot read the response: {error}")
    try:
        prepared = _prepare(root, response, args.strict_syntax)
    except Exception as error:  # a bug here must end as a refusal, never a half-applied edit
        return _fail(
            EXIT_INTERNAL, f"internal error, no file was changed: {type(error).__name__}: {error}"
        )
    if isinstance(prepared, int):
        return prepared
    plan, diff = prepared
    if not args.check:
        try:
            write_changes(root, plan.changes)
        except (OSError, StaleFile) as error:
            return _fail(EXIT_REFUSED, f"could not write the files, none changed: {error}")
    out = sys.stdout.buffer
    out.write(diff.encode("utf-8", "surrogateescape"))
    out.flush()
    return EXIT_OK
