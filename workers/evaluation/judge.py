"""SWE-bench's judgement of one prediction: apply it, reset the test files and apply the
test patch, run the instance's test files offline in the sandbox, grade F2P and P2P."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from workers.evaluation.environment import PreparedEnv
from workers.evaluation.instances import Instance
from workers.evaluation.logparse import PARSERS, Grade, grade, parser_for
from workers.evaluation.patches import apply_patch, patched_files, test_directives
from workers.evaluation.specs import EnvSpec
from workers.sandbox.port import Command, Limits, Sandbox, Verdict

TEST_MARKER = ">>>>> iquest eval: tests start"
JUDGE_MEMORY = 8 << 30
JUDGE_OUTPUT = 64 << 20


@dataclass(frozen=True)
class Judgement:
    applied: bool
    resolved: bool = False
    grade: Grade | None = None
    env_error: str = ""  # the environment (or the instance's test patch) failed: not judged
    error: str = ""  # the run failed in a way that counts against the prediction (timeout)
    test_seconds: float = 0.0
    log: str = field(default="", repr=False)


def _reset_files(tree: Path, base: dict[str, bytes | None]) -> None:
    """SWE-bench checks out the test patch's files at the base commit before applying it, so a
    prediction's edits to those files never count."""
    for path, data in base.items():
        target = tree / path
        if data is None:
            if target.is_file() or target.is_symlink():
                target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def judge(
    instance: Instance,
    patch: str,
    tree: Path,
    spec: EnvSpec,
    env: PreparedEnv,
    sandbox: Sandbox,
    timeout: float,
) -> Judgement:
    """`tree` is a private checkout at the base commit; it is changed in place."""
    base = {}
    for path in patched_files(instance.test_patch):
        target = tree / path
        base[path] = target.read_bytes() if target.is_file() else None
    applied = apply_patch(tree, patch)
    if not applied.ok:
        return Judgement(applied=False, log=applied.log)
    _reset_files(tree, base)
    tests_applied = apply_patch(tree, instance.test_patch)
    if not tests_applied.ok:
        return Judgement(
            applied=True, env_error="the instance's test patch does not apply", log=tests_applied.log
        )
    run = run_tests(instance.repo, instance.test_patch, tree, spec, env, sandbox, timeout)
    if run.statuses is None:
        return Judgement(
            applied=True, env_error=run.env_error, error=run.error,
            test_seconds=run.seconds, log=run.log,
        )
    graded = grade(run.statuses, instance.fail_to_pass, instance.pass_to_pass)
    return Judgement(
        applied=True, resolved=graded.resolved, grade=graded, test_seconds=run.seconds, log=run.log
    )


@dataclass(frozen=True)
class TestRun:
    """Per-test statuses of one run of the test patch's files; None when no verdict came."""

    statuses: dict[str, str] | None
    env_error: str = ""
    error: str = ""
    seconds: float = 0.0
    log: str = field(default="", repr=False)


def run_tests(
    repo: str,
    test_patch: str,
    tree: Path,
    spec: EnvSpec,
    env: PreparedEnv,
    sandbox: Sandbox,
    timeout: float,
) -> TestRun:
    """Run the test patch's test files in `tree` (already patched) offline in the sandbox."""
    if env.error:
        return TestRun(None, env_error=env.error)
    directives = " ".join(shlex.quote(d) for d in test_directives(test_patch))
    # The spec's eval commands (exports, mostly) share the test command's shell.
    scripts = [*env.setup, "\n".join([
        *spec.eval_commands, f"echo '{TEST_MARKER}'", f"{spec.test_cmd} {directives}", "true",
    ])]
    # Roomier than a fix's verification: whole test files of large projects run here.
    limits = Limits(
        wall_seconds=timeout, memory_bytes=JUDGE_MEMORY, max_processes=1024,
        max_output_bytes=JUDGE_OUTPUT, max_file_bytes=1 << 30, tmp_bytes=1 << 30,
        scratch_bytes=8 << 30,
    )
    commands = [Command(script, env=env.env, mounts=env.mounts) for script in scripts]
    started = time.monotonic()
    results = sandbox.run(tree, commands, limits)
    seconds = time.monotonic() - started
    log = "\n".join(result.output for result in results)
    last = results[-1] if results else None
    if last is None or last.verdict is Verdict.NOT_RUN:
        reason = last.reason if last else "nothing ran"
        return TestRun(None, env_error=f"the sandbox did not run: {reason}", log=log)
    if len(results) < len(commands):
        failed = scripts[len(results) - 1][:200]
        return TestRun(None, env_error=f"environment setup failed: {failed}", seconds=seconds, log=log)
    if last.verdict is Verdict.TIMED_OUT:
        return TestRun(None, error=f"the tests ran past the {timeout:.0f} s timeout", seconds=seconds, log=log)
    if last.verdict not in (Verdict.EXITED, Verdict.OUTPUT_LIMIT):
        return TestRun(None, error=f"the test run ended: {last.verdict.value} {last.reason}".strip(), seconds=seconds, log=log)
    if last.verdict is Verdict.OUTPUT_LIMIT:
        return TestRun(None, error="the tests printed more than the output limit", seconds=seconds, log=log)
    test_log = last.output.split(TEST_MARKER, 1)[-1]
    statuses = PARSERS[parser_for(repo, spec.test_cmd)](test_log)
    return TestRun(statuses, seconds=seconds, log=log)
