"""Keep the figures of `iquest eval` runs: each --out folder's report and per-instance timings,
with the machine and the commit, in bench/results/eval-<label>-<time>.json.

Usage: .venv/bin/python bench/eval_record.py --label eval-dev OUT_DIR [OUT_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine  # noqa: E402

from workers.evaluation.report import read_rows, summarize  # noqa: E402

TIMINGS = ("resolved", "applied", "env_error", "error", "env_note", "env_build_seconds",
           "test_seconds", "wall_seconds", "model_seconds", "prompt_tokens", "completion_tokens",
           "app_verdict")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("outs", nargs="+", type=Path)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    runs = {}
    for out in args.outs:
        rows = read_rows(out)
        runs[out.name] = {
            "summary": summarize(rows)["models"],
            "rows": [{"instance_id": r["instance_id"], "model": r["model_name_or_path"],
                      **{k: r.get(k) for k in TIMINGS}} for r in rows],
        }
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = root / "bench" / "results" / f"eval-{args.label}-{stamp}.json"
    target.write_text(json.dumps({"label": args.label, "commit": commit,
                                  "machine": describe_machine(), "runs": runs}, indent=2) + "\n")
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
