"""Context recall judged by leave-one-repository-out (LORO) over the context dev set.

    python bench/context_loro.py --bench-dir ../shared/bench/context-dev \\
        --variant base='{}' --variant units='{"unit_share": 0.5}' [--jobs 2]

Runs the same packing as `iquest context --json` (offline: the estimating tokenizer), in
process, one localization per instance packed at every budget and for every variant (a
variant is a JSON object of `PackOptions` fields). Scores as the dev harness does (every
gold hunk inside one merged span of its file), then reports per variant and budget:

* pooled: share of all instances;
* repo mean: the mean of per-repository shares (each repository counts once);
* LORO: for each repository, the variant that scores best on the *other* repositories
  (mean of their per-repository shares over every budget, or at `--tune-budget`) is scored
  on it; the mean of those is what tuning among the variants is expected to give on
  unseen repositories.

The trees come from the dev harness's cache (`$LOCALIZE_REPOS_DIR` mirrors); results go to
`--out` as JSON with the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import pickle
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402

BUDGETS = (16000, 32000, 64000)


def _harness(bench_dir: Path):
    spec = importlib.util.spec_from_file_location("iquest_context_harness", bench_dir / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True
    spec.loader.exec_module(module)
    return module


def _localize_key(rank_weights: dict) -> str:
    """Localizations are cached on disk while the localization code and weights are unchanged."""
    digest = hashlib.sha256(json.dumps(rank_weights, sort_keys=True).encode())
    for path in sorted((ROOT / "workers/pipeline/context/localize").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _query(problem_statement: str) -> str:
    from workers.pipeline.prompts.fix import IssueText

    title, _, body = problem_statement.partition("\n")
    return IssueText(0, title.strip(), body.strip()).as_query()


def _run_instance(job: tuple) -> dict:
    row, tree, variants, budgets, loc_cache, rank_weights = job
    from workers.model.tokenizer import EstimatingTokenizer
    from workers.pipeline.context.gather import LOCALIZE_TOP_K, pack_located
    from workers.pipeline.context.localize import (
        Localization,
        RankWeights,
        combine_evidence,
        gather_evidence,
        locate_files,
    )

    cached = Path(loc_cache) / f"{row['instance_id']}.pkl"
    if cached.exists():
        localization = pickle.loads(cached.read_bytes())
    else:
        query = _query(row["problem_statement"])
        if rank_weights:
            evidence = gather_evidence(tree, query)
            ranked = combine_evidence(evidence, RankWeights(**rank_weights))[:LOCALIZE_TOP_K]
            localization = Localization(tuple(ranked), evidence.issue, tuple(evidence.files))
        else:
            localization = locate_files(tree, query, top_k=LOCALIZE_TOP_K)
        cached.write_bytes(pickle.dumps(localization))
    tokenizer = EstimatingTokenizer()
    ranked = localization.paths
    out: dict = {
        "instance_id": row["instance_id"],
        "repo": row["repo"],
        "variants": {},
        # Rank of every gold file in the localization packing starts from (None: not ranked).
        "gold_ranks": {g: ranked.index(g) if g in ranked else None for g in row["gold_hunks"]},
    }
    for name, options in variants.items():
        started = time.perf_counter()
        per_budget = {}
        for budget in budgets:
            code = pack_located(
                tree, localization, budget, tokenizer, options=_options(options)
            ).code
            spans: dict[str, list] = defaultdict(list)
            for block in code.files:
                spans[block.path].extend([list(s) for s in block.spans])
            merged = {path: _merge(s) for path, s in spans.items()}
            hits = [
                path in merged and any(s <= a and b <= e for s, e in merged[path])
                for path, ranges in row["gold_hunks"].items()
                for a, b in ranges
            ]
            per_budget[str(budget)] = {
                "hunks": code.tokens <= budget and all(hits),
                "any_hunk": code.tokens <= budget and any(hits),
                "tokens": code.tokens,
                "files": [[b.path, [list(s) for s in b.spans]] for b in code.files],
            }
        out["variants"][name] = {"budgets": per_budget, "seconds": time.perf_counter() - started}
    return out


def _options(spec: dict):
    """`PackOptions` from a variant's JSON (`"decays": {...}` or null for the rank-order method)."""
    from workers.pipeline.context.allot import Decays
    from workers.pipeline.context.pack import PackOptions

    spec = dict(spec)
    if spec.get("decays") is not None:
        spec["decays"] = Decays(**spec["decays"])
    return PackOptions(**spec)


def _merge(spans: list) -> list:
    out: list = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _share(results: list[dict], variant: str, budget: int) -> float:
    if not results:
        return 0.0
    return sum(r["variants"][variant]["budgets"][str(budget)]["hunks"] for r in results) / len(
        results
    )


def summarise(results: list[dict], variants: list[str], budgets, tune_budget: int) -> dict:
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_repo[r["repo"]].append(r)
    repos = sorted(by_repo)
    table: dict = {}
    for name in variants:
        table[name] = {}
        for budget in budgets:
            per_repo = {repo: _share(by_repo[repo], name, budget) for repo in repos}
            table[name][str(budget)] = {
                "pooled": _share(results, name, budget),
                "repo_mean": sum(per_repo.values()) / len(repos),
                "per_repo": per_repo,
            }
    loro: dict = {"chosen": {}, "by_budget": {}}
    for held in repos:
        others = [repo for repo in repos if repo != held]

        tuning = budgets if tune_budget == 0 else [tune_budget]

        def tuned(name: str, others=others, tuning=tuning) -> float:
            # One repository alone (--repo X) has nothing to tune on: the baseline stays.
            if not others:
                return 0.0
            return sum(table[name][str(b)]["per_repo"][o] for o in others for b in tuning) / (
                len(others) * len(tuning)
            )

        # Ties go to the earlier variant (the baseline first): a change must earn its place.
        loro["chosen"][held] = max(variants, key=lambda n: (tuned(n), -variants.index(n)))
    for budget in budgets:
        scores = {
            held: table[loro["chosen"][held]][str(budget)]["per_repo"][held] for held in repos
        }
        pooled = sum(
            _share(by_repo[held], loro["chosen"][held], budget) * len(by_repo[held])
            for held in repos
        ) / len(results)
        loro["by_budget"][str(budget)] = {
            "repo_mean": sum(scores.values()) / len(repos),
            "pooled": pooled,
            "per_repo": scores,
        }
    return {"variants": table, "loro": loro, "repos": {r: len(by_repo[r]) for r in repos}}


RANK_CUTS = (1, 3, 6, 10, 15)


def worst_gold_ranks(results: list[dict]) -> dict:
    """Per repository and overall: instances whose every gold file is ranked within each cut."""
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_repo[r["repo"]].append(r)
    table = {}
    for name, rows in [("all", results), *sorted(by_repo.items())]:
        worst = [
            max((x if x is not None else 1 << 30) for x in r["gold_ranks"].values()) for r in rows
        ]
        table[name] = {"n": len(rows), **{str(k): sum(w < k for w in worst) for k in RANK_CUTS}}
    return table


def _print_ranks(table: dict) -> None:
    print("worst gold file within top k: " + "".join(f"{k:>6d}" for k in RANK_CUTS) + "     n")
    for name, row in table.items():
        cells = "".join(f"{row[str(k)]:6d}" for k in RANK_CUTS)
        print(f"  {name.split('/')[-1]:27s}{cells}{row['n']:6d}")


def _print(summary: dict, budgets) -> None:
    print(
        "variant            "
        + "".join(f"  pooled@{b // 1000}k  mean@{b // 1000}k" for b in budgets)
    )
    rows = list(summary["variants"].items()) + [("LORO-tuned", summary["loro"]["by_budget"])]
    for name, table in rows:
        cells = "".join(
            f"  {100 * table[str(b)]['pooled']:9.1f}  {100 * table[str(b)]['repo_mean']:7.1f}"
            for b in budgets
        )
        print(f"{name:18s} {cells}")
    print("LORO choice per held-out repository:", summary["loro"]["chosen"])
    repos = summary["repos"]
    print("per repo @32k: " + ", ".join(f"{r.split('/')[1]}({n})" for r, n in repos.items()))
    for name, table in summary["variants"].items():
        per = table["32000"]["per_repo"] if "32000" in table else {}
        print(f"  {name:16s} " + " ".join(f"{100 * per.get(r, 0):5.1f}" for r in repos))


def add_dev_set_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the context dev set is (the shared folder beside the checkout by default), how
    many processes score it, and where its trees and localizations are cached."""
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(
            os.environ.get("CONTEXT_DEV_DIR", ROOT.parent / "shared" / "bench" / "context-dev")
        ),
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--cache-dir", default=os.environ.get("CONTEXT_CACHE_DIR", "/tmp/iquest-context-cache")
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_dev_set_arguments(parser)
    parser.add_argument("--variant", action="append", default=[], help="NAME=JSON options")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    # 0: tune on the mean over every budget (the bar names all three).
    parser.add_argument("--tune-budget", type=int, default=0)
    parser.add_argument(
        "--resummarise", type=Path, help="a results file: only recompute the tables"
    )
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--spans", action="store_true", help="keep the packed spans in --out")
    # Packing judged on another ranking too: e.g. '{"symbol": 0, "title": 0}' is close to the
    # untuned baseline (named files, then BM25), whose dev figure matched its held-out one.
    parser.add_argument("--rank-weights", default="{}", help="RankWeights fields as JSON")
    args = parser.parse_args(argv)
    budgets = [int(b) for b in args.budgets.split(",")]
    if args.resummarise:
        saved = json.loads(args.resummarise.read_text())
        variants = list(saved["summary"]["options"])
        summary = summarise(saved["results"], variants, budgets, args.tune_budget)
        _print(summary, budgets)
        if all("gold_ranks" in r for r in saved["results"]):
            _print_ranks(worst_gold_ranks(saved["results"]))
        return 0
    variants = {"base": {}}
    for spec in args.variant:
        name, _, options = spec.partition("=")
        variants[name] = json.loads(options or "{}")
    harness = _harness(args.bench_dir)
    localize = harness.L
    cfg = localize.load_config(args.bench_dir.parent / "localize-dev" / "repos.json")
    git_dirs = localize.resolve_git_dirs(cfg, os.environ["LOCALIZE_REPOS_DIR"])
    rows = localize.load_instances(args.bench_dir / "instances.jsonl")
    if args.repo:
        rows = [r for r in rows if r["repo"] in set(args.repo)]
    cache = localize.TreeCache(args.cache_dir, git_dirs, keep=True)
    rank_weights = json.loads(args.rank_weights)
    loc_cache = Path(args.cache_dir) / f"localizations-{_localize_key(rank_weights)}"
    loc_cache.mkdir(parents=True, exist_ok=True)
    jobs = []
    for row in rows:
        tree = cache.acquire(row["repo"], row["base_commit"])
        jobs.append((row, str(tree), variants, budgets, str(loc_cache), rank_weights))
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_run_instance, jobs))
    summary = summarise(results, list(variants), budgets, args.tune_budget)
    summary["worst_gold_ranks"] = worst_gold_ranks(results)
    summary["machine"] = describe_machine()
    summary["seconds"] = time.perf_counter() - started
    summary["options"] = variants
    _print(summary, budgets)
    _print_ranks(summary["worst_gold_ranks"])
    out = args.out or ROOT / "bench/results" / f"context-loro-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not args.spans:
        for result in results:
            for variant in result["variants"].values():
                for scored in variant["budgets"].values():
                    scored.pop("files")
    out.write_text(json.dumps({"summary": summary, "results": results}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
