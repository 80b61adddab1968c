"""results.jsonl → report.json and report.md: per model, resolved and applied rates over the
instances whose environment worked, environment failures listed apart, and the false-
confidence rate (fixes the app called verified that the hidden tests reject)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from workers.evaluation.runner import RESULTS


def read_rows(out: Path) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    path = out / RESULTS
    if not path.is_file():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            rows[(row["instance_id"], row["model_name_or_path"])] = row
        except (ValueError, KeyError, TypeError):
            continue
    return list(rows.values())


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def summarize(rows: list[dict]) -> dict:
    by_model: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_model[row["model_name_or_path"]].append(row)
    models = {}
    for name, mine in sorted(by_model.items()):
        judged = [r for r in mine if not r["env_error"]]
        resolved = [r for r in judged if r["resolved"]]
        applied = [r for r in judged if r["applied"]]
        confident = [r for r in judged if r.get("app_verdict") == "verified"]
        wrong = [r for r in confident if not r["resolved"]]
        models[name] = {
            "instances": len(mine),
            "judged": len(judged),
            "resolved": len(resolved),
            "resolved_percent": _percent(len(resolved), len(judged)),
            "applied": len(applied),
            "applied_percent": _percent(len(applied), len(judged)),
            "env_failures": len(mine) - len(judged),
            "app_verified": len(confident),
            "false_confidence": len(wrong),
            "false_confidence_percent": _percent(len(wrong), len(confident)),
            "prompt_tokens": sum(r.get("prompt_tokens", 0) for r in mine),
            "completion_tokens": sum(r.get("completion_tokens", 0) for r in mine),
            "model_seconds": round(sum(r.get("model_seconds", 0.0) for r in mine), 1),
            "wall_seconds": round(sum(r.get("wall_seconds", 0.0) for r in mine), 1),
            "resolved_ids": sorted(r["instance_id"] for r in resolved),
            "unresolved_ids": sorted(r["instance_id"] for r in judged if not r["resolved"]),
            "env_failed": [
                {"instance_id": r["instance_id"], "error": r["env_error"]}
                for r in sorted(mine, key=lambda r: r["instance_id"]) if r["env_error"]
            ],
        }
    return {"models": models}


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def render_markdown(summary: dict) -> str:
    lines = [
        "# iquest eval",
        "",
        "Resolved: every FAIL_TO_PASS and PASS_TO_PASS test passes after the prediction and the",
        "test patch (SWE-bench's rule). Rates are over the instances whose environment worked;",
        "environment failures are listed apart. False confidence: fixes the app called verified",
        "that the hidden tests reject.",
        "",
        "| model | judged | resolved | applied | env failures | app verified | false confidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in summary["models"].items():
        lines.append(
            f"| {name} | {m['judged']} | {m['resolved']} ({_cell(m['resolved_percent'])}) | "
            f"{m['applied']} ({_cell(m['applied_percent'])}) | {m['env_failures']} | "
            f"{m['app_verified']} | {m['false_confidence']} ({_cell(m['false_confidence_percent'])}) |"
        )
    for name, m in summary["models"].items():
        lines += ["", f"## {name}", ""]
        lines.append("Resolved: " + (", ".join(m["resolved_ids"]) or "none"))
        lines.append("")
        lines.append("Unresolved: " + (", ".join(m["unresolved_ids"]) or "none"))
        if m["env_failed"]:
            lines += ["", "Environment failures (not counted in the rates):", ""]
            lines += [f"- {f['instance_id']}: {f['error']}" for f in m["env_failed"]]
        if m["prompt_tokens"] or m["model_seconds"]:
            lines += ["", f"Model: {m['prompt_tokens']} prompt and {m['completion_tokens']} "
                      f"completion tokens, {m['model_seconds']} s."]
    return "\n".join(lines) + "\n"


def write_report(out: Path) -> dict:
    summary = summarize(read_rows(out))
    (out / "report.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(summary))
    return summary
