"""Ranking weights compared on the context dev set, judged per repository and leave-one-repo-out.

    python bench/localize_weights.py --variant off='{"graph": 0}' --variant on='{}' [--jobs 2]

Gathers each instance's evidence once and ranks it with every variant (a JSON object of
`RankWeights` fields); the first variant is the baseline. Prints, per variant, how many
instances have every gold file within the top 1/3/6/10/15, the instances each variant wins
and loses against the baseline by repository (worst gold rank), and a leave-one-repository-
out figure: for each repository, the variant with the most instances all@`--cut` on the
OTHER repositories (ties to the earlier variant) is scored on it. A rule that only one
repository supports does not survive LORO; say so rather than report the dev gain alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.context_loro import _harness, _query, add_dev_set_arguments  # noqa: E402
from bench.localize_ranks import CUTS, UNRANKED  # noqa: E402

DEPTH = 50


def _rank_variants(job: tuple) -> dict:
    row, tree, variants = job
    from workers.pipeline.context.localize import RankWeights, combine_evidence, gather_evidence

    evidence = gather_evidence(tree, _query(row["problem_statement"]))
    worst = {}
    for name, fields in variants.items():
        paths = [r.path for r in combine_evidence(evidence, RankWeights(**fields))][:DEPTH]
        worst[name] = max(paths.index(g) if g in paths else UNRANKED for g in row["gold_hunks"])
    return {"instance_id": row["instance_id"], "repo": row["repo"], "worst": worst}


def _within(results: list[dict], name: str, cut: int, repos=None) -> int:
    return sum(r["worst"][name] < cut for r in results if repos is None or r["repo"] in repos)


def report(results: list[dict], names: list[str], cut: int) -> dict:
    """Histogram per variant, wins and losses against the first, and the LORO choice."""
    base = names[0]
    table: dict = {"histogram": {}, "moved": {}, "loro": {}}
    for name in names:
        table["histogram"][name] = {str(k): _within(results, name, k) for k in CUTS}
        moved: dict[str, list[str]] = defaultdict(list)
        for r in results:
            before, after = r["worst"][base], r["worst"][name]
            if before != after:
                sign = "WIN" if after < before else "LOSS"
                moved[r["repo"]].append(f"{sign} {r['instance_id']} {before}->{after}")
        table["moved"][name] = dict(moved)
    repos = sorted({r["repo"] for r in results})
    pooled = 0
    for held in repos:
        others = set(repos) - {held}
        chosen = max(names, key=lambda n: (_within(results, n, cut, others), -names.index(n)))
        table["loro"][held] = chosen
        pooled += _within(results, chosen, cut, {held})
    table["loro_pooled"] = pooled
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_dev_set_arguments(parser)
    parser.add_argument("--variant", action="append", default=[], help="NAME=JSON RankWeights")
    parser.add_argument("--cut", type=int, default=6, help="all@cut is what LORO tunes")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    variants = {}
    for spec in args.variant or ["default={}"]:
        name, _, fields = spec.partition("=")
        variants[name] = json.loads(fields or "{}")
    localize = _harness(args.bench_dir).L
    cfg = localize.load_config(args.bench_dir.parent / "localize-dev" / "repos.json")
    git_dirs = localize.resolve_git_dirs(cfg, os.environ["LOCALIZE_REPOS_DIR"])
    rows = localize.load_instances(args.bench_dir / "instances.jsonl")
    cache = localize.TreeCache(args.cache_dir, git_dirs, keep=True)
    jobs = [(r, str(cache.acquire(r["repo"], r["base_commit"])), variants) for r in rows]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_rank_variants, jobs))
    names = list(variants)
    table = report(results, names, args.cut)
    print(f"{'variant':16s}" + "".join(f"{'all@' + str(k):>8s}" for k in CUTS))
    for name in names:
        print(f"{name:16s}" + "".join(f"{table['histogram'][name][str(k)]:8d}" for k in CUTS))
    for name in names[1:]:
        print(f"{name} against {names[0]}:")
        for repo, lines in sorted(table["moved"][name].items()):
            print(f"  {repo}: " + "; ".join(lines))
    print(f"LORO all@{args.cut}: {table['loro_pooled']}/{len(results)} choices {table['loro']}")
    if args.out:
        args.out.write_text(json.dumps({"report": table, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
