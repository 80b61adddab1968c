"""The cost benchmark's tables: medians per flow, size and thread length, and calls by route."""

from __future__ import annotations

import statistics

_TIMES = ("wall_seconds", "wall_without_model_seconds", "fake_github_seconds",
          "download_seconds", "extract_seconds", "peak_rss_mib", "rss_warm_mib")


def summarize(rows: list[dict]) -> list[dict]:
    """One row per flow, size and thread length: medians of the times, the counts as they
    were (checked to be the same in every repetition)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["flow"], row["files"], row["comments"]), []).append(row)
    summary = []
    for runs in groups.values():
        first = runs[0]
        row = {k: first[k] for k in ("flow", "files", "comments", "github_routes",
                                     "github_calls", "installation_calls", "model_requests",
                                     "tokenize_requests")}
        row.update({k: statistics.median(r[k] for r in runs) for k in _TIMES})
        row["reps"] = len(runs)
        row["ok"] = all(r["ok"] for r in runs)
        row["same_counts"] = all(r["installation_calls"] == first["installation_calls"]
                                 and r["tokenize_requests"] == first["tokenize_requests"]
                                 for r in runs)
        summary.append(row)
    return summary


def progress_line(row: dict) -> str:
    return (f"{row['flow']:28} files={row['files']:>6} comments={row['comments']:>4} "
            f"calls={row['installation_calls']:>2} tokenize={row['tokenize_requests']} "
            f"wall-model={row['wall_without_model_seconds']:.2f}s "
            f"(fake GitHub {row['fake_github_seconds']:.2f}s) rss={row['peak_rss_mib']:.0f}MiB "
            f"ok={row['ok']}")


def markdown(rows: list[dict]) -> str:
    out = ["| flow | files | comments | GitHub calls (charged / all) | model requests "
           "(tokenize + chat) | wall s without model (of which fake GitHub) | snapshot "
           "download / extract s | peak RSS MiB (warm worker before the job) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        chat = r["model_requests"].get("POST /v1/chat/completions", 0)
        out.append(
            f"| {r['flow']} | {r['files']:,} | {r['comments']} | {r['installation_calls']} / "
            f"{r['github_calls']} | {r['tokenize_requests']} + {chat} | "
            f"{r['wall_without_model_seconds']:.2f} ({r['fake_github_seconds']:.2f}) | "
            f"{r['download_seconds']:.2f} / "
            f"{r['extract_seconds']:.2f} | {r['peak_rss_mib']:.0f} ({r['rss_warm_mib']:.0f}) |")
    return "\n".join(out)


def routes_table(rows: list[dict]) -> str:
    flows = sorted({r["flow"] for r in rows})
    out = []
    for flow in flows:
        def charged(r: dict) -> dict:
            return {k: v for k, v in r["github_routes"].items()
                    if k not in ("apps/create-installation-access-token", "codeload")}

        sample = next(r for r in rows if r["flow"] == flow)
        same = all(charged(r) == charged(sample) for r in rows if r["flow"] == flow)
        out.append(f"{flow}: charged calls by route"
                   f"{' (identical in every run)' if same else ' (first run; runs differ)'}: "
                   + ", ".join(f"`{k}` {v}" for k, v in charged(sample).items()))
    return "\n\n".join(out)
