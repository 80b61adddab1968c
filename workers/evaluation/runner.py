"""The evaluation loop: for each instance, its predictions (given, or the pipeline's), each
judged in a fresh checkout; one row per prediction appended as it finishes, so a rerun
resumes where the last one stopped."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from workers.evaluation.checkout import CheckoutError, checkout, find_git_dir, show_file
from workers.evaluation.environment import Environments
from workers.evaluation.instances import Instance, Prediction
from workers.evaluation.judge import judge
from workers.evaluation.requirements import requirements_text
from workers.evaluation.scm_version import pretend_version
from workers.evaluation.specs import EnvSpec, spec_for
from workers.pipeline.context.snapshot import SnapshotCache
from workers.sandbox.port import Sandbox

RESULTS = "results.jsonl"
PREDICTIONS = "predictions.jsonl"
# (tree at the base commit, instance) → the prediction and the row's pipeline fields.
Predictor = Callable[[Path, Instance], tuple[Prediction, dict]]


@dataclass(frozen=True)
class EvalSetup:
    out: Path
    sandbox: Sandbox
    environments: Environments
    timeout: float = 1800.0
    repos_dir: Path | None = None
    snapshots: SnapshotCache | None = None
    scratch: Path | None = None
    progress: Callable[[str], None] = lambda message: None


def finished(out: Path) -> set[tuple[str, str]]:
    """(instance_id, model_name_or_path) of rows already judged (a cut last line is ignored).
    A row whose environment failed is no judgement: a rerun tries it again."""
    done: set[tuple[str, str]] = set()
    path = out / RESULTS
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            if not row.get("env_error"):
                done.add((row["instance_id"], row["model_name_or_path"]))
        except (ValueError, KeyError, TypeError):
            continue
    return done


class _Writer:
    def __init__(self, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.lock = threading.Lock()
        for name in (RESULTS, PREDICTIONS):
            path = out / name
            # A run killed mid-write leaves a line without its newline: end it, so the next
            # row starts on a line of its own (and the cut one is skipped when read).
            if path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                with path.open("a") as file:
                    file.write("\n")

    def write(self, row: dict, prediction: Prediction, log: str) -> None:
        with self.lock:
            logs = self.out / "logs" / _safe(prediction.instance_id)
            logs.mkdir(parents=True, exist_ok=True)
            (logs / f"{_safe(prediction.model_name_or_path)}.log").write_text(log)
            with (self.out / PREDICTIONS).open("a", encoding="utf-8") as file:
                file.write(json.dumps({
                    "instance_id": prediction.instance_id,
                    "model_name_or_path": prediction.model_name_or_path,
                    "model_patch": prediction.model_patch,
                }) + "\n")
            with (self.out / RESULTS).open("a", encoding="utf-8") as file:
                file.write(json.dumps(row) + "\n")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)[:120] or "_"


def with_requirements(spec: EnvSpec, instance: Instance, base: Path, repos_dir: Path | None) -> EnvSpec:
    """SWE-bench reads a spec's requirements file at the environment setup commit."""
    if not spec.requirement_files:
        return spec
    git_dir = find_git_dir(repos_dir, instance.repo) if repos_dir is not None else None
    commit = instance.environment_setup_commit

    def read(path: str) -> str | None:
        if git_dir is not None and commit:
            try:
                return show_file(git_dir, commit, path)
            except CheckoutError:
                return None
        target = base / path
        return target.read_text(errors="replace") if target.is_file() else None

    text = requirements_text(spec.requirement_files, read)
    return replace(spec, requirements=text) if text is not None else spec


def _judge_one(
    instance: Instance, prediction: Prediction, base: Path, setup: EvalSetup, extra: dict,
    commit_date: datetime | None = None,
) -> tuple[dict, str]:
    started = time.monotonic()
    spec = with_requirements(spec_for(instance), instance, base, setup.repos_dir)
    with tempfile.TemporaryDirectory(prefix="iquest-judge-", dir=setup.scratch) as scratch:
        tree = Path(scratch) / "repo"
        shutil.copytree(base, tree, symlinks=True)
        env = setup.environments.prepare(spec, tree, commit_date)
        verdict = judge(instance, prediction.model_patch, tree, spec, env, setup.sandbox, setup.timeout)
    graded = verdict.grade
    row = {
        "instance_id": instance.instance_id,
        "model_name_or_path": prediction.model_name_or_path,
        "applied": verdict.applied,
        "resolved": verdict.resolved,
        "f2p_passed": list(graded.f2p_passed) if graded else [],
        "f2p_failed": list(graded.f2p_failed) if graded else [],
        "p2p_passed": list(graded.p2p_passed) if graded else [],
        "p2p_failed": list(graded.p2p_failed) if graded else [],
        "skipped": list(graded.skipped) if graded else [],
        "app_verdict": None,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "model_seconds": 0.0,
        "env_source": spec.source,
        "env_note": env.note,
        "env_build_seconds": round(env.build_seconds, 3),
        "test_seconds": round(verdict.test_seconds, 3),
        "env_error": verdict.env_error,
        "error": verdict.error,
        **extra,
    }
    row["wall_seconds"] = round(time.monotonic() - started + extra.get("wall_seconds", 0.0), 3)
    return row, verdict.log


def _instance(
    instance: Instance,
    predictions: Sequence[Prediction],
    predictor: Predictor | None,
    setup: EvalSetup,
    writer: _Writer,
) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="iquest-eval-", dir=setup.scratch) as scratch:
        base = Path(scratch) / "base"
        try:
            date = checkout(instance.repo, instance.base_commit, base, setup.repos_dir, setup.snapshots)
            git_dir = find_git_dir(setup.repos_dir, instance.repo) if setup.repos_dir else None
            pretend_version(base, git_dir, instance.base_commit, instance.repo.split("/")[1])
        except (CheckoutError, OSError) as error:
            for prediction in predictions or [Prediction(instance.instance_id, "pipeline", "")]:
                row = _failed_row(instance, prediction, f"checkout failed: {error}")
                writer.write(row, prediction, "")
                rows.append(row)
            return rows
        todo = list(predictions)
        extra: dict = {}
        if predictor is not None:
            started = time.monotonic()
            prediction, extra = predictor(base, instance)
            extra = {**extra, "wall_seconds": time.monotonic() - started}
            todo = [prediction]
        for prediction in todo:
            row, log = _judge_one(instance, prediction, base, setup, extra, date)
            writer.write(row, prediction, log)
            rows.append(row)
            word = "resolved" if row["resolved"] else (
                "ENV FAILED" if row["env_error"] else "not applied" if not row["applied"]
                else "unresolved")
            setup.progress(f"{instance.instance_id} [{prediction.model_name_or_path}]: {word}"
                           f" ({row['wall_seconds']:.0f} s)")
    return rows


def _failed_row(instance: Instance, prediction: Prediction, error: str) -> dict:
    return {
        "instance_id": instance.instance_id, "model_name_or_path": prediction.model_name_or_path,
        "applied": False, "resolved": False, "f2p_passed": [], "f2p_failed": [],
        "p2p_passed": [], "p2p_failed": [], "skipped": [], "app_verdict": None,
        "prompt_tokens": 0, "completion_tokens": 0, "model_seconds": 0.0, "env_source": "",
        "env_build_seconds": 0.0, "test_seconds": 0.0, "env_error": error, "error": "",
        "wall_seconds": 0.0,
    }


def evaluate(
    instances: Sequence[Instance],
    setup: EvalSetup,
    predictions: Sequence[Prediction] = (),
    predictor: Predictor | None = None,
    predictor_name: str = "",
    jobs: int = 1,
) -> list[dict]:
    """Judge what is not judged yet; returns the new rows (the report reads the whole file)."""
    writer = _Writer(setup.out)
    done = finished(setup.out)
    work: list[tuple[Instance, list[Prediction]]] = []
    for instance in instances:
        if predictor is not None:
            if (instance.instance_id, predictor_name) not in done:
                work.append((instance, []))
            continue
        mine = [
            p for p in predictions
            if p.instance_id == instance.instance_id
            and (p.instance_id, p.model_name_or_path) not in done
        ]
        if mine:
            work.append((instance, mine))
    skipped = len(instances) - len(work)
    setup.progress(f"{len(work)} instances to judge" + (f", {skipped} already done" if skipped else ""))
    rows: list[dict] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_guarded, i, p, predictor, setup, writer, predictor_name) for i, p in work]
        for number, future in enumerate(futures, 1):
            rows.extend(future.result())
            setup.progress(f"{number}/{len(work)} instances done")
    for name in (RESULTS, PREDICTIONS):
        _compact(setup.out / name)
    return rows


def _guarded(
    instance: Instance,
    predictions: Sequence[Prediction],
    predictor: Predictor | None,
    setup: EvalSetup,
    writer: _Writer,
    predictor_name: str,
) -> list[dict]:
    """One instance; a bug of ours there becomes that instance's row (not judged, retried on
    the next run) instead of ending a run of hundreds."""
    try:
        return _instance(instance, predictions, predictor, setup, writer)
    except Exception as error:  # noqa: BLE001 - reported in the row and on stderr
        setup.progress(f"{instance.instance_id}: harness error: {type(error).__name__}: {error}")
        rows = []
        for prediction in predictions or [Prediction(instance.instance_id, predictor_name, "")]:
            row = _failed_row(instance, prediction, f"harness error: {type(error).__name__}: {error}")
            writer.write(row, prediction, "")
            rows.append(row)
        return rows


def _compact(path: Path) -> None:
    """One line per (instance, model), the last written (a retried environment failure was
    written twice); lines that are not JSON (a run killed mid-write) are dropped."""
    if not path.is_file():
        return
    rows: dict[tuple[str, str], str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            rows[(row["instance_id"], row["model_name_or_path"])] = line
        except (ValueError, KeyError, TypeError):
            continue
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(f"{line}\n" for line in rows.values()), encoding="utf-8")
    temporary.replace(path)
