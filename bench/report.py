"""What a benchmark run reports: the machine, medians over reps, ratio tables, verdicts, JSON."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import statistics
import subprocess
import sys
from pathlib import Path

from engines import wrk_version
from machine import describe_machine
from processes import redis_server_binary
from runs import SERVERS, WORKLOADS

TARGETS = {  # iquest's share of a reference's req/s, same deliveries, same concurrency
    ("trigger", "lpush"): 1 / 2,
    ("non-trigger", "verify"): 2 / 3,
}
P99_LIMIT_MS = 100.0


def medians(runs: list[dict]) -> dict[tuple[str, str, int], dict]:
    groups: dict[tuple[str, str, int], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["server"], r["workload"], r["concurrency"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        cpu = [r["server_cpu_us_per_req"] for r in rs if r["server_cpu_us_per_req"]]
        out[key] = {
            "server": key[0], "workload": key[1], "concurrency": key[2], "reps": len(rs),
            **{m: statistics.median(r[m] for r in rs) for m in ("rps", "p50_ms", "p99_ms")},
            "rps_min": min(r["rps"] for r in rs), "rps_max": max(r["rps"] for r in rs),
            "non_2xx": sum(r["non_2xx"] + r["socket_errors"] for r in rs),
            "server_cpu_us_per_req": statistics.median(cpu) if cpu else None,
            "other_cores_max": max(r["other_cores"] for r in rs),
            "contended_runs": sum(r["contended"] for r in rs),
        }
    return out


def ratio_rows(med: dict, concs: list[int]) -> list[dict]:
    def ratio(a: tuple[str, str], b: tuple[str, str], c: int) -> float | None:
        x, y = med.get((*a, c)), med.get((*b, c))
        return round(x["rps"] / y["rps"], 2) if x and y and y["rps"] else None

    def per_core(a: tuple[str, str], b: tuple[str, str], c: int) -> float | None:
        # req/s per fully used server core = 1e6 / CPU µs per request
        x, y = med.get((*a, c)), med.get((*b, c))
        if not (x and y and x["server_cpu_us_per_req"] and y["server_cpu_us_per_req"]):
            return None
        return round(y["server_cpu_us_per_req"] / x["server_cpu_us_per_req"], 2)

    specs = [
        ("iquest trigger ÷ lpush", ("iquest", "trigger"), ("lpush", "trigger")),
        ("iquest non-trigger ÷ verify", ("iquest", "non-trigger"), ("verify", "non-trigger")),
        ("iquest trigger ÷ bare", ("iquest", "trigger"), ("bare", "trigger")),
        ("iquest non-trigger ÷ bare", ("iquest", "non-trigger"), ("bare", "non-trigger")),
        ("lpush ÷ bare (trigger deliveries)", ("lpush", "trigger"), ("bare", "trigger")),
        ("verify ÷ bare (non-trigger deliveries)", ("verify", "non-trigger"), ("bare", "non-trigger")),
    ]
    rows = []
    for label, a, b in specs:
        target = TARGETS.get((a[1], b[0])) if a[0] == "iquest" else None
        values = {c: ratio(a, b, c) for c in concs}
        met = None
        if target is not None and all(v is not None for v in values.values()):
            met = all(v >= round(target, 2) for v in values.values())
        rows.append({
            "ratio": label, "values": values, "target": target, "met": met,
            "per_core": {c: per_core(a, b, c) for c in concs},
        })
    return rows


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "MISSED"


def markdown(med: dict, rows: list[dict], concs: list[int], settings: str) -> str:
    out = [
        f"Medians of {settings}.", "",
        "| server | deliveries | c | req/s (min-max) | p50 ms | p99 ms | non-2xx | server CPU µs/req |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    order = {s: i for i, s in enumerate(SERVERS)}
    for key in sorted(med, key=lambda k: (order[k[0]], WORKLOADS.index(k[1]), k[2])):
        m = med[key]
        cpu = f"{m['server_cpu_us_per_req']:.0f}" if m["server_cpu_us_per_req"] else "-"
        contended = f" ({m['contended_runs']} contended)" if m["contended_runs"] else ""
        out.append(
            f"| {m['server']}{contended} | {m['workload']} | {m['concurrency']} | {m['rps']:.0f} "
            f"({m['rps_min']:.0f}-{m['rps_max']:.0f}) | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
            f"{m['non_2xx']} | {cpu} |"
        )
    out += [
        "",
        "| req/s ratio | " + " | ".join(f"c={c}" for c in concs) + " | target | "
        + " | ".join(f"per core c={c}" for c in concs) + " |",
        "|---|" + "---:|" * len(concs) + "---|" + "---:|" * len(concs),
    ]

    def cells(values: dict) -> str:
        return " | ".join("-" if v is None else f"{v:.2f}" for v in values.values())

    for r in rows:
        target = "" if r["target"] is None else f"≥ {r['target']:.2f}: " + verdict(r["met"])
        out.append(f"| {r['ratio']} | {cells(r['values'])} | {target} | {cells(r['per_core'])} |")
    out += [
        "",
        "Per core: the same ratio from server CPU time per request (req/s one fully used "
        "core would give), which moves less with other load on the machine.",
    ]
    return "\n".join(out)


def machine() -> dict:
    versions = {}
    for package in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "redis"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    server = subprocess.run([redis_server_binary(), "--version"], capture_output=True, text=True)
    return {
        **describe_machine(), **versions,
        "redis_server": server.stdout.split()[2] if server.stdout else None,
        "wrk": wrk_version(),
    }


def judge(med: dict, rows: list[dict], runs: list[dict]) -> tuple[list[str], list[str]]:
    """The verdicts on the targets, and every problem a run's checks found."""
    iquest_p99 = [m["p99_ms"] for k, m in med.items() if k[0] == "iquest"]
    problems = [f"{r['server']} {r['workload']} c={r['concurrency']} rep {r['rep']}: {p}"
                for r in runs for p in r["problems"]]
    verdicts = [f"{r['ratio']}: {verdict(r['met'])}" for r in rows if r["target"]]
    if iquest_p99:
        worst = max(iquest_p99)
        verdicts.append(f"iquest p99 < {P99_LIMIT_MS:.0f} ms: {'met' if worst < P99_LIMIT_MS else 'MISSED'} (worst {worst:.1f} ms)")
    verdicts.append("answers and queue: " + ("all checks passed" if not problems else "PROBLEMS"))
    return verdicts, problems


def write_results(out: Path, a: argparse.Namespace, engine: str, info: dict, med: dict,
                  rows: list[dict], verdicts: list[str], runs: list[dict]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]], "machine": info,
        "settings": {"duration_s": a.duration, "reps": a.reps, "warmup_s": a.warmup,
                     "concurrency": a.concurrency, "engine": engine, "servers": a.servers},
        "deliveries": {w: {d.name: len(d.body) for d in ds} for w, ds in a.sets.items()},
        "medians": list(med.values()), "ratios": rows, "verdicts": verdicts, "runs": runs,
    }, indent=1, default=str))
