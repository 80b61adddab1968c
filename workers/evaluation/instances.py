"""SWE-bench task instances and predictions, read from JSONL with clear errors for bad rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("instance_id", "repo", "base_commit", "test_patch", "FAIL_TO_PASS", "PASS_TO_PASS")
GOLD = "gold"
EMPTY = "empty"


class InstanceError(ValueError):
    """An instance or prediction file that cannot be used; the message names the row."""


@dataclass(frozen=True)
class EnvironmentOverride:
    """An instance's own environment: install commands and a Python version (both optional)."""

    python: str = ""
    install: tuple[str, ...] = ()
    test_cmd: str = ""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    repo: str  # OWNER/NAME
    base_commit: str
    problem_statement: str
    test_patch: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    patch: str = ""
    version: str = ""
    environment_setup_commit: str = ""
    environment: EnvironmentOverride | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Prediction:
    instance_id: str
    model_name_or_path: str
    model_patch: str


def _test_list(value: object, where: str) -> tuple[str, ...]:
    """The published files hold these lists as JSON strings; accept real lists too."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError as error:
            raise InstanceError(f"{where}: not a JSON list ({error})") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InstanceError(f"{where}: expected a list of test ids")
    return tuple(value)


def _override(value: object, where: str) -> EnvironmentOverride | None:
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise InstanceError(f"{where}: `environment` must be an object")
    install = value.get("install", ())
    if isinstance(install, str):
        install = [install]
    if not isinstance(install, list) or not all(isinstance(c, str) for c in install):
        raise InstanceError(f"{where}: environment.install must be a command or a list of them")
    return EnvironmentOverride(
        python=str(value.get("python", "") or ""),
        install=tuple(install),
        test_cmd=str(value.get("test_cmd", "") or ""),
    )


def parse_instance(row: dict, where: str) -> Instance:
    missing = [key for key in REQUIRED if key not in row]
    if missing:
        raise InstanceError(f"{where}: missing {', '.join(missing)}")
    repo = str(row["repo"])
    if repo.count("/") != 1:
        raise InstanceError(f"{where}: repo must be OWNER/NAME, not {repo!r}")
    name = f"{where} ({row['instance_id']})"
    return Instance(
        instance_id=str(row["instance_id"]),
        repo=repo,
        base_commit=str(row["base_commit"]),
        problem_statement=str(row.get("problem_statement", "") or ""),
        test_patch=str(row["test_patch"]),
        fail_to_pass=_test_list(row["FAIL_TO_PASS"], f"{name} FAIL_TO_PASS"),
        pass_to_pass=_test_list(row["PASS_TO_PASS"], f"{name} PASS_TO_PASS"),
        patch=str(row.get("patch", "") or ""),
        version=str(row.get("version", "") or ""),
        environment_setup_commit=str(row.get("environment_setup_commit", "") or ""),
        environment=_override(row.get("environment"), name),
        raw=row,
    )


def _rows(path: Path) -> Iterable[tuple[str, dict]]:
    try:
        # "\n" only: a JSON string may hold U+2028 and friends raw, which splitlines() splits on.
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as error:
        raise InstanceError(f"cannot read {path}: {error.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except ValueError as error:
            raise InstanceError(f"{where}: not JSON ({error})") from None
        if not isinstance(row, dict):
            raise InstanceError(f"{where}: expected a JSON object")
        yield where, row


def load_instances(path: Path) -> list[Instance]:
    """Every instance of a JSONL file (a JSON array file works too), ids unique."""
    text_start = path.read_text(encoding="utf-8", errors="replace")[:1].strip() if path.is_file() else ""
    if text_start == "[":
        rows = json.loads(path.read_text(encoding="utf-8"))
        pairs = [(f"{path.name}[{i}]", row) for i, row in enumerate(rows)]
    else:
        pairs = list(_rows(path))
    instances = [parse_instance(row, where) for where, row in pairs]
    seen: set[str] = set()
    for instance in instances:
        if instance.instance_id in seen:
            raise InstanceError(f"{path.name}: instance {instance.instance_id} appears twice")
        seen.add(instance.instance_id)
    return instances


def select(
    instances: Sequence[Instance], ids: Sequence[str] = (), limit: int | None = None
) -> list[Instance]:
    chosen = list(instances)
    if ids:
        known = {i.instance_id for i in instances}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InstanceError(f"no such instance: {', '.join(unknown)}")
        wanted = set(ids)
        chosen = [i for i in chosen if i.instance_id in wanted]
    return chosen[:limit] if limit is not None else chosen


def load_predictions(source: str, instances: Sequence[Instance]) -> list[Prediction]:
    """`gold`, `empty`, or a SWE-bench predictions JSONL (several per instance allowed)."""
    if source == GOLD:
        return [Prediction(i.instance_id, GOLD, i.patch) for i in instances]
    if source == EMPTY:
        return [Prediction(i.instance_id, EMPTY, "") for i in instances]
    wanted = {i.instance_id for i in instances}
    predictions = []
    seen: set[tuple[str, str]] = set()
    for where, row in _rows(Path(source)):
        if "instance_id" not in row:
            raise InstanceError(f"{where}: missing instance_id")
        patch = row.get("model_patch")
        if patch is not None and not isinstance(patch, str):
            raise InstanceError(f"{where}: model_patch must be a string")
        prediction = Prediction(
            str(row["instance_id"]), str(row.get("model_name_or_path") or "unnamed"), patch or ""
        )
        key = (prediction.instance_id, prediction.model_name_or_path)
        if key in seen:
            raise InstanceError(f"{where}: a second prediction for {key[0]} by {key[1]}")
        seen.add(key)
        if prediction.instance_id in wanted:
            predictions.append(prediction)
    return predictions
