"""The edits benchmark scored in the JSON form beside the text form, on the same run.

Each case of the shared edits split (default ../shared/bench/edits-dev) has a model-style
answer in the text form (SEARCH/REPLACE, unified diff or whole file). Its edits are converted
into the structured-output JSON form (workers/pipeline/edits/json_form.py: root_cause,
edits [{path, search, replace}], tests) -- a diff hunk becomes its old and new sides, a whole
file becomes the file's current text and the new one -- and both answers go through the
production parser and planner on a scratch copy of `before/`. A case is right when the
result equals `expected/` (or, for a REFUSE case, the answer is refused with nothing written).

    .venv/bin/python bench/edits_json.py [--cases ../shared/bench/edits-dev]

What this measures: whether the JSON form carries the same edits with the same outcome
(nothing lost by the schema). What it cannot measure without a model: how often a model
constrained to the schema writes correct edits -- the answer to "default for small local
models?" in docs/model-servers.md says what that would take.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from workers.pipeline.edits import parse_response, plan_edits  # noqa: E402
from workers.pipeline.edits.elision import is_elision  # noqa: E402
from workers.pipeline.edits.file_writer import write_changes  # noqa: E402
from workers.pipeline.edits.json_form import to_json_reply  # noqa: E402
from workers.pipeline.edits.paths import resolve_edit_path  # noqa: E402
from workers.pipeline.edits.types import (  # noqa: E402
    EditRefused,
    FilePatch,
    SearchReplaceEdit,
    WholeFileEdit,
)

DEFAULT_CASES = Path(__file__).resolve().parents[2] / "shared" / "bench" / "edits-dev"
RESULTS = Path(__file__).resolve().parent / "results"


class NotExpressible(ValueError):
    """A text-form edit the JSON form has no way to say (a whole file with elided parts)."""


def to_search_replace(edit, before: Path) -> list[SearchReplaceEdit]:  # type: ignore[no-untyped-def]
    """One text-form edit as the JSON form's path/search/replace items."""
    if isinstance(edit, SearchReplaceEdit):
        return [edit]
    if isinstance(edit, FilePatch):
        return [
            SearchReplaceEdit(edit.path,
                              "".join(t + "\n" for t in (h.old_lines if edit.old_path else [])),
                              "".join(t + "\n" for t in h.new_lines))
            for h in edit.hunks
        ]
    assert isinstance(edit, WholeFileEdit)
    try:
        current = before / resolve_edit_path(before, edit.path)
    except EditRefused:
        current = before / edit.path  # an unsafe path stays unsafe in the JSON form too
    search = current.read_text(errors="replace") if current.is_file() else ""
    kept = set(search.splitlines())
    if any(is_elision(line) and line not in kept for line in edit.content.splitlines()):
        # "keep the rest of the file" has no JSON spelling: search/replace pairs only.
        raise NotExpressible(edit.path)
    return [SearchReplaceEdit(edit.path, search, edit.content)]


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def score(case: Path, response: str, scratch: Path) -> str:
    """right | refused (an apply case refused) | misapplied | dirty (refused after writing)."""
    meta = json.loads((case / "meta.json").read_text())
    root = scratch / "root"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(case / "before", root)
    before = read_tree(root)
    try:
        plan = plan_edits(root, parse_response(response))
        write_changes(root, plan.changes)
    except EditRefused:
        if read_tree(root) != before:
            return "dirty"
        return "right" if meta["expected"] == "refuse" else "refused"
    if meta["expected"] == "apply" and read_tree(root) == read_tree(case / "expected"):
        return "right"
    return "misapplied"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    args = parser.parse_args()
    cases = sorted(p.parent for p in args.cases.glob("*/meta.json"))
    if not cases:
        print(f"no cases under {args.cases}", file=sys.stderr)
        return 2
    outcomes: dict[str, Counter] = {"text": Counter(), "json": Counter()}
    by_format: dict[str, Counter] = {}
    differ: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for case in cases:
            text = (case / "response.md").read_bytes().decode("utf-8", "replace")
            parsed = parse_response(text)
            results = {"text": score(case, text, scratch)}
            try:
                items = [sr for e in parsed.edits for sr in to_search_replace(e, case / "before")]
            except NotExpressible:
                results["json"] = "not_expressible"
            else:
                as_json = to_json_reply(parsed.root_cause, items, parsed.tests)
                results["json"] = score(case, as_json, scratch)
            for form, result in results.items():
                outcomes[form][result] += 1
            fmt = json.loads((case / "meta.json").read_text())["format"]
            by_format.setdefault(fmt, Counter())[f"json_{results['json']}"] += 1
            by_format[fmt][f"text_{results['text']}"] += 1
            if results["text"] != results["json"]:
                differ.append(f"{case.name}: text {results['text']}, json {results['json']}")
    seconds = time.perf_counter() - started
    total = len(cases)
    report = {
        "benchmark": "edits-json", "cases": total, "source": str(args.cases),
        "machine": describe_machine(), "seconds": round(seconds, 2),
        "text": dict(outcomes["text"]), "json": dict(outcomes["json"]),
        "by_format": {k: dict(v) for k, v in sorted(by_format.items())},
        "differ": differ,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"edits-json-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    for form in ("text", "json"):
        c = outcomes[form]
        print(f"{form:4}: {c['right']}/{total} right, {c['refused']} refused, "
              f"{c['misapplied']} misapplied, {c['dirty']} dirty, "
              f"{c['not_expressible']} not expressible")
    print(f"{len(differ)} case(s) differ; written {out}")
    for line in differ:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
