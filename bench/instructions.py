"""What repository guidance and folder settings add to a job, as a ratio of localization + packing.

On one tree (this repository's own HEAD, exported with `git archive`, plus an AGENTS.md in a few
folders and `.iquest.yml` in two), per job: `gather_code` (the baseline: localize and pack, as
every fix does), `read_guidance` for the shown files, and `scan_dir_configs` (run twice per job:
limits and verification). Median of N runs each, in the same process.

    .venv/bin/python bench/instructions.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from bench.machine import describe_machine
from workers.intake.dir_config import scan_dir_configs
from workers.model.tokenizer import EstimatingTokenizer
from workers.pipeline.context.gather import gather_code
from workers.pipeline.instructions import GuidanceSettings, read_guidance

REPO = Path(__file__).resolve().parent.parent
QUERY = "verification runs the package's test command from its folder; the sandbox overlay"


def export(target: Path) -> None:
    data = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter="data")
    (target / "AGENTS.md").write_text("Run `make test`. Small modules.\n" * 20)
    for folder in ("workers", "workers/pipeline", "workers/pipeline/verify", "tests"):
        (target / folder / "AGENTS.md").write_text(f"Guidance for {folder}.\n" * 10)
    (target / "workers/pipeline/.iquest.yml").write_text("test:\n  command: pytest -q\n")
    (target / "service/.iquest.yml").write_text("deny_paths: ['templates/*']\n")


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    tokens = EstimatingTokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export(root)
        gathered = gather_code(root, QUERY, 12000, tokens)
        shown = [f.path for f in gathered.code.files]
        baseline = median_seconds(lambda: gather_code(root, QUERY, 12000, tokens), args.runs)
        guidance = median_seconds(
            lambda: read_guidance(root, shown, GuidanceSettings(), tokens), args.runs
        )
        scan = median_seconds(lambda: scan_dir_configs(root), args.runs)
        files = sum(1 for p in root.rglob("*") if p.is_file())
    result = {
        "machine": describe_machine(),
        "tree_files": files,
        "runs": args.runs,
        "gather_code_s": round(baseline, 4),
        "read_guidance_s": round(guidance, 5),
        "scan_dir_configs_s": round(scan, 4),
        "guidance_over_gather": round(guidance / baseline, 4),
        "two_scans_over_gather": round(2 * scan / baseline, 4),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
