"""Run the tests before and after a fix in the sandbox and say what changed.

Before = the unmodified tree with the fix's new and changed test files laid over it (so a
new test can show that it fails without the fix); cached per tree and test set, so several
candidates and retries of one job pay for it once. After = the tree with the whole fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workers.environments.mount import BuildFailure, BuiltEnvironment
from workers.environments.provider import EnvironmentProvider
from workers.pipeline.verification import Counts, EnvironmentReceipt, Verification
from workers.pipeline.verify.plan import TestPlan, TestSettings, node_test_plan, plan_tests
from workers.pipeline.verify.results import read_outcomes
from workers.sandbox.port import Command, Limits, RunResult, Sandbox, Verdict
from workers.sandbox.tools import pytest_mounts

log = logging.getLogger("iquest.pipeline.verify")


@dataclass(frozen=True)
class _Run:
    outcomes: dict[str, bool]
    output: str
    seconds: float


class Verifier:
    """Runs a fix's tests: `verify(root, all_paths, changes)` → `Verification`."""

    def __init__(
        self,
        sandbox: Sandbox,
        limits: Limits,
        settings: TestSettings | None = None,
        cache_dir: Path | None = None,
        environment: EnvironmentProvider | None = None,
    ):
        self.sandbox = sandbox
        self.limits = limits
        self.settings = settings
        self.cache_dir = cache_dir
        # The repository's dependencies, built once and mounted read-only (workers/environments).
        self.environment = environment

    def verify(
        self, root: Path, all_paths: Sequence[str], changes: Mapping[str, str | None]
    ) -> Verification:
        if not self.sandbox.available:
            return Verification(False, reason=f"{self.sandbox.reason}.")
        plan = plan_tests(all_paths, changes, self.settings, int(self.limits.wall_seconds))
        if isinstance(plan, str) and self.environment is not None:
            plan = node_test_plan(root, int(self.limits.wall_seconds)) or plan
        if isinstance(plan, str):
            return Verification(False, reason=f"{plan}.")
        built = self.environment(root) if self.environment is not None else None
        if isinstance(built, BuildFailure):
            return Verification(False, reason=f"{built.reason()}")
        commands = self._commands(plan, built)
        limits = replace(self.limits, wall_seconds=plan.timeout_seconds)
        # Files the environment's build wrote into the tree go under the fix's own files.
        generated: dict[str, bytes | None] = dict(built.overlay()) if built else {}
        new_tests = {**generated, **{p: (changes[p] or "").encode() for p in plan.new_test_files}}
        before = self._baseline(root, plan, commands, limits, new_tests, built)
        older = getattr(self.environment, "older", None)
        while built is not None and older is not None and _could_not_import(before):
            # The tests cannot even be imported on this interpreter: an older declared one.
            fallback = older(root, built)
            if fallback is None:
                break
            built = fallback
            commands = self._commands(plan, built)
            generated = dict(built.overlay())
            new_tests = {**generated, **{p: (changes[p] or "").encode() for p in plan.new_test_files}}
            before = self._baseline(root, plan, commands, limits, new_tests, built)
        overlay = {**generated, **{p: None if text is None else text.encode() for p, text in changes.items()}}
        after = _read(self.sandbox.run(root, commands, limits, overlay), plan.command)
        verification = _compare(root, plan, before, after)
        if built is None:
            return verification
        runtime = built.python if built.ecosystem == "python" else f"{built.ecosystem} {built.python}"
        receipt = EnvironmentReceipt(built.key, built.reused, built.seconds, runtime)
        return replace(verification, environment=receipt)

    def _commands(self, plan: TestPlan, built: BuiltEnvironment | None) -> list[Command]:
        if built is not None:
            return [built.command(script) for script in (*plan.setup, plan.command)]
        mounts, env = pytest_mounts() if plan.uses_shipped_pytest else ((), {})
        return [Command(script, env, mounts) for script in (*plan.setup, plan.command)]

    def _baseline(
        self,
        root: Path,
        plan: TestPlan,
        commands: list[Command],
        limits: Limits,
        new_tests: dict[str, bytes | None],
        built: BuiltEnvironment | None = None,
    ) -> _Run:
        digest = hashlib.sha256(str(root.resolve()).encode())
        digest.update(b"\0env:" + (built.key.encode() if built else b"none"))
        for script in (*plan.setup, plan.command):
            digest.update(b"\0" + script.encode())
        for path, data in sorted(new_tests.items()):
            digest.update(b"\0" + path.encode() + b"\0" + hashlib.sha256(data or b"").digest())
        cached = self._cache_file(digest.hexdigest())
        if cached is not None and cached.exists():
            data = json.loads(cached.read_text())
            return _Run(data["outcomes"], data["output"], 0.0)
        run = _read(self.sandbox.run(root, commands, limits, new_tests), plan.command)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps({"outcomes": run.outcomes, "output": run.output[-20000:]}))
        return run

    def _cache_file(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{key}.json"


def _read(results: list[RunResult], command: str) -> _Run:
    """Per-test outcomes of the test command; a run that never got through counts as one failure."""
    last = results[-1] if results else RunResult(Verdict.NOT_RUN)
    seconds = sum(r.seconds for r in results)
    outcomes = read_outcomes(last.output)
    if last.verdict is not Verdict.EXITED:
        # Timed out, printed too much, or could not start: whatever finished still counts.
        outcomes[f"{command} ({last.verdict.value})"] = False
    elif not outcomes:
        outcomes[command] = last.passed
    output = "\n".join(r.output for r in results)
    return _Run(outcomes, output, seconds)


COLLECTION_ERRORS = ("ImportError while importing test module", "ERROR collecting", "SyntaxError")


def _could_not_import(run: _Run) -> bool:
    """No test passed and collection failed: the environment, not the code, is wrong."""
    return not any(run.outcomes.values()) and any(text in run.output for text in COLLECTION_ERRORS)


def _defines(root: Path, path: str, name: str) -> bool:
    try:
        text = (root / path).read_text(errors="replace")
    except OSError:
        return False
    return re.search(rf"^\s*(async\s+)?def {re.escape(name)}\(", text, re.MULTILINE) is not None


def _compare(root: Path, plan: TestPlan, before: _Run, after: _Run) -> Verification:
    def is_new(test: str) -> bool:
        path, _, rest = test.partition("::")
        if path not in plan.new_test_files:
            return False
        name = rest.rsplit("::", 1)[-1].split("[", 1)[0]
        return not _defines(root, path, name)

    new = sorted(t for t in after.outcomes if is_new(t))
    regressions = sorted(
        t for t, ok in before.outcomes.items() if ok and not after.outcomes.get(t, False) and t not in new
    )
    return Verification(
        True,
        command=plan.command,
        before=_count(before.outcomes),
        after=_count(after.outcomes),
        regressions=tuple(regressions),
        reproducing=tuple(t for t in new if after.outcomes[t] and not before.outcomes.get(t, False)),
        not_reproducing=tuple(t for t in new if before.outcomes.get(t, False)),
        failing_new=tuple(t for t in new if not after.outcomes[t]),
        output=after.output,
        seconds=before.seconds + after.seconds,
    )


def _count(outcomes: Mapping[str, bool]) -> Counts:
    passed = sum(1 for ok in outcomes.values() if ok)
    return Counts(passed, len(outcomes) - passed)
