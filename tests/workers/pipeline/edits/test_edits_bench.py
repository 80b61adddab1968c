"""The shared edit-application benchmark (dev split), in process, as a regression guard.

Skipped when ../shared/bench/edits-dev is not beside the checkout. The full harness
(`python3 ../shared/bench/edits-dev/run.py`) runs the real command; this test only keeps
the numbers from sliding: at least 97% right and nothing misapplied.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.workers.pipeline.edits.edit_helpers import apply_response, read_tree
from workers.pipeline.edits.types import EditRefused

BENCH = Path(__file__).resolve().parents[4].parent / "shared" / "bench" / "edits-dev"


def _cases() -> list[Path]:
    return sorted(path.parent for path in BENCH.glob("*/meta.json"))


@pytest.mark.skipif(not BENCH.is_dir(), reason="shared/bench/edits-dev is not beside the checkout")
def test_dev_split_stays_right_and_never_misapplies(tmp_path):
    right, wrong = 0, []
    for case in _cases():
        meta = json.loads((case / "meta.json").read_text())
        root = tmp_path / case.name
        shutil.copytree(case / "before", root)
        before = read_tree(root)
        response = (case / "response.md").read_bytes().decode("utf-8", "replace")
        try:
            apply_response(root, response)
        except EditRefused:
            assert read_tree(root) == before, f"{case.name}: files changed on a refusal"
            right += meta["expected"] == "refuse"
            continue
        if meta["expected"] == "apply" and read_tree(root) == read_tree(case / "expected"):
            right += 1
        else:
            wrong.append(case.name)
    total = len(_cases())
    assert wrong == [], f"misapplied: {wrong}"
    assert right >= 0.97 * total, f"{right}/{total} right"
