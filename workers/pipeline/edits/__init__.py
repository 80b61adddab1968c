"""Edits: from the model's raw answer to exact file changes, all of them or none.

In: a response (SEARCH/REPLACE blocks, unified diffs or whole files, with prose around them)
and the files under a root.
Out: `parse_response` → `ParsedResponse` (analysis + edits); `plan_edits` → `ApplyPlan` (every
edit placed exactly, or `EditRefused` with the reason); `validate_changes` → syntax errors the
edits introduced; `render_diff` → the unified diff generated from the files. `iquest apply` is
this package's command-line face.
"""

from workers.pipeline.edits.apply import ApplyPlan, FileChange, plan_edits
from workers.pipeline.edits.diffs import render_diff, verify_diff
from workers.pipeline.edits.parse import parse_response
from workers.pipeline.edits.types import EditRefused, ParsedResponse
from workers.pipeline.edits.validate import ValidationReport, validate_changes

__all__ = [
    "ApplyPlan",
    "EditRefused",
    "FileChange",
    "ParsedResponse",
    "ValidationReport",
    "parse_response",
    "plan_edits",
    "render_diff",
    "validate_changes",
    "verify_diff",
]
