"""Where localization ranks the gold files: the worst-gold-file rank histogram, in process.

    python bench/localize_ranks.py [--jobs 2] [--out FILE] [--compare OLD.json]

For every instance of the context dev set (its gold files are the keys of `gold_hunks`),
ranks the tree with `locate_files` (the same call `iquest context` makes, deeper) and
records the rank of every gold file. Reports, overall and per repository, how many
instances have ALL their gold files within the top 1/3/6/10/15 (the worst gold file's
rank is what packing has to reach) and any@1/5/10. With `--compare`, lists the instances
whose worst-gold rank moved, by repository: the wins and losses of a change.

Trees come from the dev harness's cache (`$LOCALIZE_REPOS_DIR` mirrors, `--cache-dir`).
Timings are seconds of `locate_files` alone; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.context_loro import _harness, _query, add_dev_set_arguments  # noqa: E402
from bench.machine import describe_machine  # noqa: E402

CUTS = (1, 3, 6, 10, 15)
DEPTH = 50
UNRANKED = 10_000


def _rank_instance(job: tuple) -> dict:
    row, tree = job
    from workers.pipeline.context.localize import locate_files

    started = time.perf_counter()
    located = locate_files(tree, _query(row["problem_statement"]), top_k=DEPTH)
    seconds = time.perf_counter() - started
    paths = located.paths
    ranks = {gold: paths.index(gold) if gold in paths else UNRANKED for gold in row["gold_hunks"]}
    return {
        "instance_id": row["instance_id"],
        "repo": row["repo"],
        "ranks": ranks,
        "worst": max(ranks.values()),
        "best": min(ranks.values()),
        "seconds": seconds,
        "top": paths[:15],
    }


def histogram(results: list[dict]) -> dict:
    """Instances whose worst (all@) and best (any@) gold file is within each cut."""
    return {
        "n": len(results),
        **{f"all@{k}": sum(r["worst"] < k for r in results) for k in CUTS},
        **{f"any@{k}": sum(r["best"] < k for r in results) for k in (1, 5, 10)},
    }


def _print(results: list[dict]) -> None:
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_repo[r["repo"]].append(r)
    header = ["n", *(f"all@{k}" for k in CUTS), "any@1", "any@5", "any@10"]
    print(f"{'repo':22s}" + "".join(f"{h:>7s}" for h in header))
    for name, rows in [("ALL", results), *sorted(by_repo.items())]:
        table = histogram(rows)
        print(f"{name.split('/')[-1]:22s}" + "".join(f"{table[h]:7d}" for h in header))
    seconds = [r["seconds"] for r in results]
    print(
        f"locate_files seconds: median {statistics.median(seconds):.2f} mean {statistics.mean(seconds):.2f}"
    )


def _compare(results: list[dict], old_path: Path) -> None:
    old = {r["instance_id"]: r for r in json.loads(old_path.read_text())["results"]}
    moved: dict[str, list[str]] = defaultdict(list)
    for r in results:
        before = old.get(r["instance_id"])
        if before is None or before["worst"] == r["worst"]:
            continue
        show = lambda w: "-" if w >= UNRANKED else str(w)  # noqa: E731
        sign = "WIN " if r["worst"] < before["worst"] else "LOSS"
        moved[r["repo"]].append(
            f"{sign} {r['instance_id']} worst {show(before['worst'])} -> {show(r['worst'])}"
        )
    old_seconds = statistics.median(o["seconds"] for o in old.values())
    new_seconds = statistics.median(r["seconds"] for r in results)
    print(f"median seconds ratio new/old: {new_seconds / old_seconds:.2f}")
    for repo, lines in sorted(moved.items()):
        print(repo)
        for line in lines:
            print("   " + line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_dev_set_arguments(parser)
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--ids", nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--compare", type=Path, default=None, help="an earlier --out to diff against"
    )
    args = parser.parse_args(argv)
    localize = _harness(args.bench_dir).L
    cfg = localize.load_config(args.bench_dir.parent / "localize-dev" / "repos.json")
    git_dirs = localize.resolve_git_dirs(cfg, os.environ["LOCALIZE_REPOS_DIR"])
    rows = localize.load_instances(args.bench_dir / "instances.jsonl")
    if args.repo:
        rows = [r for r in rows if r["repo"] in set(args.repo)]
    if args.ids:
        rows = [r for r in rows if r["instance_id"] in set(args.ids)]
    cache = localize.TreeCache(args.cache_dir, git_dirs, keep=True)
    jobs = [(row, str(cache.acquire(row["repo"], row["base_commit"]))) for row in rows]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_rank_instance, jobs))
    _print(results)
    if args.compare:
        _compare(results, args.compare)
    if args.out:
        args.out.write_text(
            json.dumps(
                {"machine": describe_machine(), "summary": histogram(results), "results": results},
                indent=1,
            )
        )
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
