"""The `iquest` check run's report: summary, annotations on exactly the edited lines, buttons."""

from __future__ import annotations

from collections.abc import Iterable

import unidiff

from workers.github.port import CheckAction, CheckAnnotation, CheckOutput
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.receipt import check_title, render_full, verdict

CHECK_NAME = "iquest"

RETRY = CheckAction("Retry", "Run this fix again", "retry")
OPEN_DRAFT_PR = CheckAction("Open as draft PR", "Push the fix as a stacked draft PR", "draft_pr")
# On an issue's fix held back by `require_verified` (identifier shared with OPEN_DRAFT_PR).
OPEN_UNPROVEN = CheckAction("Open as draft PR", "Open this unproven fix as a draft PR", "draft_pr")
POST_SUGGESTIONS = CheckAction("Post as suggestions", "Post the fix as review suggestions", "suggestions")


def edited_spans(diff: str) -> dict[str, list[tuple[int, int]]]:
    """path → runs of consecutive added or changed lines in the new file, 1-based inclusive."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for patched in unidiff.PatchSet(diff):
        if patched.is_removed_file:
            continue
        lines = [line.target_line_no for hunk in patched for line in hunk if line.is_added]
        spans[patched.path] = _runs(lines)
    return spans


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def render_fix_output(proposal: FixProposal, where: str, notes: Iterable[str] = ()) -> CheckOutput:
    """The report of a fix: root cause, files, how it was checked; an annotation per edit."""
    spans = edited_spans(proposal.diff)
    files = "\n".join(
        f"- `{path}`" + ("" if text is not None else " (deleted)")
        for path, text in sorted(proposal.changes.items())
    )
    receipt = proposal.receipt
    checked = (
        "Every edit was placed exactly (or the whole change refused), and every changed file "
        "still parses. "
        + (verdict(receipt) if receipt is not None else "Nothing was run: no tests, no build.")
    )
    extra = "".join(f"\n- {note}" for note in notes)
    summary = (
        f"**Root cause.** {proposal.root_cause}\n\n**Files.**\n{files}\n\n"
        f"**Validated.** {checked}{extra}\n\n**Published.** {where}"
    )
    annotations = tuple(
        CheckAnnotation(path, first, last, "notice", proposal.root_cause[:500] or "Edited by iquest.",
                        title="Edited by iquest")
        for path, runs in sorted(spans.items())
        for first, last in runs
    )
    count = len(proposal.changes)
    if receipt is not None:
        # Success only when the receipt holds; otherwise neutral, the reason in the title.
        return CheckOutput(
            title=check_title(receipt, count), summary=summary, annotations=annotations,
            text="## Receipt\n\n" + render_full(receipt),
            conclusion="success" if receipt.verified else "neutral",
        )
    return CheckOutput(
        title=f"Fix proposed, not run: {count} file{'s' if count != 1 else ''} changed",
        summary=summary,
        annotations=annotations,
    )


def render_no_fix_output(reason: str) -> CheckOutput:
    return CheckOutput(title="No fix this time", summary=reason)
