"""`iquest eval` end to end on self-made instances: gold, empty, a predictions file with two
models, resuming, and the full pipeline against the oracle model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.oracle_model import oracle_server
from tests.workers.evaluation.tiny import CALC_WRONG, diff_of, make_instance, write_jsonl

# A second instance in another repository: its bug is in a module below a package.
PKG_INIT = ""
SHOUT = 'def shout(text):\n    return text.lower() + "!"\n'
SHOUT_TEST = 'from pkg.shout import shout\n\n\ndef test_plain():\n    assert shout("") == "!"\n'


def _second_instance(repos: Path) -> dict:
    from tests.workers.evaluation.tiny import git

    path = repos / "acme+shout" / "repo"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "pkg").mkdir()
    (path / "pkg" / "__init__.py").write_text(PKG_INIT)
    (path / "pkg" / "shout.py").write_text(SHOUT)
    (path / "tests").mkdir()
    (path / "tests" / "test_shout.py").write_text(SHOUT_TEST)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "shout")
    base = git(path, "rev-parse", "HEAD").strip()
    new_test = SHOUT_TEST + '\n\ndef test_upper():\n    assert shout("hi") == "HI!"\n'
    return {
        "instance_id": "acme__shout-7", "repo": "acme/shout", "base_commit": base,
        "problem_statement": "shout() whispers\nshout('hi') gives 'hi!' but should give 'HI!'.",
        "patch": diff_of(path, {"pkg/shout.py": SHOUT.replace("lower", "upper")}),
        "test_patch": diff_of(path, {"tests/test_shout.py": new_test}),
        "FAIL_TO_PASS": ["tests/test_shout.py::test_upper"],
        "PASS_TO_PASS": ["tests/test_shout.py::test_plain"],
    }


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, Path, list[dict]]:
    repos = tmp_path / "repos"
    rows = [make_instance(repos), _second_instance(repos)]
    return write_jsonl(tmp_path / "instances.jsonl", rows), repos, rows


def _iquest(args: list[str], tmp_path: Path, model_url: str = "http://127.0.0.1:9/v1",
            **settings: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IQUEST_")}
    env.update(IQUEST_MODEL_BASE_URL=model_url, IQUEST_MODEL_CONTEXT_TOKENS="32768",
               IQUEST_DATA_DIR=str(tmp_path / "data"), IQUEST_SANDBOX="bubblewrap", **settings)
    return subprocess.run([sys.executable, "-m", "workers.cli", "eval", *args], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)


def _rows(out: Path, name: str = "results.jsonl") -> list[dict]:
    return [json.loads(line) for line in (out / name).read_text().splitlines()]


def test_gold_resolves_every_instance_and_writes_the_outputs(dataset, tmp_path) -> None:
    instances, repos, _ = dataset
    out = tmp_path / "gold"
    result = _iquest(["--instances", str(instances), "--repos-dir", str(repos), "--out", str(out),
                      "--predictions", "gold", "--jobs", "2"], tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {r["instance_id"]: r for r in _rows(out)}
    assert set(rows) == {"acme__calc-1", "acme__shout-7"}
    assert all(r["resolved"] and r["applied"] and not r["env_error"] for r in rows.values())
    assert rows["acme__shout-7"]["f2p_passed"] == ["tests/test_shout.py::test_upper"]
    report = json.loads((out / "report.json").read_text())["models"]["gold"]
    assert (report["judged"], report["resolved"], report["resolved_percent"]) == (2, 2, 100.0)
    assert "| gold | 2 | 2 (100.0%) |" in (out / "report.md").read_text()
    predictions = _rows(out, "predictions.jsonl")
    assert {p["model_name_or_path"] for p in predictions} == {"gold"}
    assert all(p["model_patch"].startswith("diff --git") for p in predictions)
    assert "2/2 instances done" in result.stderr


def test_empty_resolves_none(dataset, tmp_path) -> None:
    instances, repos, _ = dataset
    out = tmp_path / "empty"
    result = _iquest(["--instances", str(instances), "--repos-dir", str(repos), "--out", str(out),
                      "--predictions", "empty"], tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    assert len(rows) == 2 and not any(r["resolved"] for r in rows)
    assert all(r["applied"] and r["f2p_failed"] and not r["p2p_failed"] for r in rows)


def test_a_predictions_file_with_two_models_and_a_rerun_that_resumes(dataset, tmp_path) -> None:
    instances, repos, rows = dataset
    wrong = diff_of(repos / "acme+calc" / "repo", {"calc.py": CALC_WRONG})
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "acme__calc-1", "model_name_or_path": "good", "model_patch": rows[0]["patch"]},
        {"instance_id": "acme__calc-1", "model_name_or_path": "bad", "model_patch": wrong},
        {"instance_id": "acme__shout-7", "model_name_or_path": "bad", "model_patch": "garbage"},
    ])
    out = tmp_path / "preds"
    args = ["--instances", str(instances), "--repos-dir", str(repos), "--out", str(out),
            "--predictions", str(predictions)]
    first = _iquest([*args, "--instance-ids", "acme__calc-1"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert {(r["model_name_or_path"], r["resolved"]) for r in _rows(out)} == {("good", True), ("bad", False)}
    # A run killed while writing leaves half a line: the rerun ignores it and judges the rest.
    with (out / "results.jsonl").open("a") as file:
        file.write('{"instance_id": "acme__shout-7", "model_na')
    second = _iquest(args, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "1 instances to judge, 1 already done" in second.stderr
    judged = [r for r in _rows_lenient(out)]
    assert len(judged) == 3
    shout = next(r for r in judged if r["instance_id"] == "acme__shout-7")
    assert not shout["applied"] and not shout["resolved"]
    summary = json.loads((out / "report.json").read_text())["models"]
    assert summary["good"]["resolved"] == 1 and summary["bad"]["resolved"] == 0
    assert summary["bad"]["applied"] == 1 and summary["bad"]["judged"] == 2
    third = _iquest(args, tmp_path)
    assert "0 instances to judge, 2 already done" in third.stderr
    assert len(_rows_lenient(out)) == 3


def _rows_lenient(out: Path) -> list[dict]:
    rows = []
    for line in (out / "results.jsonl").read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def test_the_full_pipeline_with_the_oracle_model_resolves_what_gold_resolves(dataset, tmp_path) -> None:
    instances, repos, rows = dataset
    with oracle_server(rows) as server:
        out = tmp_path / "pipeline"
        result = _iquest(["--instances", str(instances), "--repos-dir", str(repos),
                          "--out", str(out)], tmp_path, server.base_url)
        assert result.returncode == 0, result.stderr
    judged = {r["instance_id"]: r for r in _rows(out)}
    assert all(r["resolved"] for r in judged.values()), judged
    for row in judged.values():
        assert row["model_name_or_path"].startswith("iquest-autofix:")
        assert row["pipeline_status"] == "proposed"
        assert row["app_verdict"] == "verified"  # the app ran the repository's tests itself
        assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0 and row["model_calls"] == 1
    summary = json.loads((out / "report.json").read_text())["models"]
    [(name, model)] = summary.items()
    assert (model["resolved"], model["app_verified"], model["false_confidence"]) == (2, 2, 0)
    # The prediction is the app's own diff, rendered from the files it changed.
    [calc] = [p for p in _rows(out, "predictions.jsonl") if p["instance_id"] == "acme__calc-1"]
    assert "-    return a - b\n+    return a + b" in calc["model_patch"]


def test_narrowing_is_scored_as_the_workers_run_it(dataset, tmp_path) -> None:
    # docs/context.md scores narrowing with `IQUEST_CONTEXT_NARROWING=true iquest eval`: the
    # pipeline must then ask the narrowing questions before the fix, and still resolve.
    instances, repos, rows = dataset
    with oracle_server(rows) as server:
        out = tmp_path / "narrowed"
        result = _iquest(["--instances", str(instances), "--repos-dir", str(repos),
                          "--out", str(out)], tmp_path, server.base_url,
                         IQUEST_CONTEXT_NARROWING="true")
        assert result.returncode == 0, result.stderr
        prompts = ["\n".join(str(m.get("content", "")) for m in r.json["messages"])
                   for r in server.chat_requests()]
    narrowing = [p for p in prompts if "You help find the code a GitHub issue is about" in p]
    assert len(narrowing) >= len(rows)
    judged = {r["instance_id"]: r for r in _rows(out)}
    assert all(r["resolved"] for r in judged.values()), judged
    assert all(r["model_calls"] >= 2 for r in judged.values())


def test_bad_arguments_are_refused_clearly(dataset, tmp_path) -> None:
    instances, repos, _ = dataset
    result = _iquest(["--instances", str(instances), "--out", str(tmp_path / "o"),
                      "--predictions", "gold", "--instance-ids", "nope"], tmp_path)
    assert result.returncode == 2 and "no such instance: nope" in result.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"instance_id": "x", "repo": "a/b"}\n')
    result = _iquest(["--instances", str(broken), "--out", str(tmp_path / "o")], tmp_path)
    assert result.returncode == 2 and "broken.jsonl:1: missing base_commit" in result.stderr
