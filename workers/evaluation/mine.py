"""Instances from a repository's own history, the way SWE-bench built its set: a fix whose
commit changes both code and tests; the code part is the gold patch, the test part the test
patch; FAIL_TO_PASS are the test patch's tests that fail before the fix and pass after it,
PASS_TO_PASS the ones that pass on both sides (both runs in the sandbox, offline)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from workers.evaluation.checkout import archive_into, commit_date
from workers.evaluation.environment import Environments
from workers.evaluation.instances import EnvironmentOverride, Instance
from workers.evaluation.judge import run_tests
from workers.evaluation.logparse import Status
from workers.evaluation.patches import apply_patch
from workers.evaluation.requirements import requirements_text
from workers.evaluation.scm_version import pretend_version
from workers.evaluation.specs import EnvSpec, spec_for
from workers.sandbox.port import Sandbox

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$")
_FIX_WORDS = re.compile(r"\b(fix(es|ed)?|bug|issue|regression|broken|crash(es)?|error)\b|#\d+", re.I)
_ISSUE_REF = re.compile(r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)", re.I)
_PASS = (Status.PASSED.value, Status.XFAIL.value)
# (issue number) → (title, body) of the issue, or None when it cannot be read.
IssueReader = Callable[[int], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Candidate:
    sha: str
    parent: str
    date: str
    message: str
    code_files: tuple[str, ...]
    test_files: tuple[str, ...]


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


def _git(git_dir: Path, *args: str) -> str:
    # Bytes, decoded here: text mode would turn a file's CRLF line endings in a diff into LF,
    # and the patch would no longer apply to that file.
    return subprocess.run(
        ["git", "-C", str(git_dir), *args], capture_output=True, check=True, timeout=600,
    ).stdout.decode("utf-8", "replace")


def _show(git_dir: Path, commit: str, path: str) -> str | None:
    try:
        return _git(git_dir, "show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return None


def candidates(
    git_dir: Path, since: str = "", max_commits: int = 200, until: str = ""
) -> list[Candidate]:
    """Commits on the first-parent line of HEAD (merges and squashed PRs alike) that change
    Python code and tests together and read like a fix; newest first."""
    args = ["log", "--first-parent", "--format=%H%x00%P%x00%cI%x00%B%x01", "HEAD"]
    if since:
        args.insert(1, f"--since={since}")
    if until:
        args.insert(1, f"--until={until}")
    found = []
    for record in _git(git_dir, *args).split("\x01"):
        if not record.strip():
            continue
        sha, parents, date, message = record.strip("\n").split("\x00", 3)
        if not parents or not _FIX_WORDS.search(message):
            continue
        parent = parents.split()[0]
        changed = _git(git_dir, "diff", "--name-only", "--no-renames", parent, sha).split()
        tests = tuple(p for p in changed if is_test_path(p))
        code = tuple(p for p in changed if p.endswith(".py") and not is_test_path(p))
        if tests and code:
            found.append(Candidate(sha, parent, date, message.strip(), code, tests))
        if len(found) >= max_commits:
            break
    return found


def problem_statement(candidate: Candidate, read_issue: IssueReader | None) -> str:
    """The issue the fix closes (SWE-bench's problem statement), else the commit message."""
    match = _ISSUE_REF.search(candidate.message)
    if match and read_issue is not None:
        issue = read_issue(int(match.group(1)))
        if issue is not None:
            return f"{issue[0]}\n{issue[1]}".strip()
    return candidate.message


def _statuses(
    git_dir: Path, repo: str, candidate: Candidate, patches: list[str], test_patch: str,
    spec: EnvSpec, environments: Environments, sandbox: Sandbox, timeout: float,
) -> tuple[dict[str, str] | None, str]:
    """(per-test statuses, "") or (None, why no test ran)."""
    with tempfile.TemporaryDirectory(prefix="iquest-mine-") as scratch:
        tree = Path(scratch) / "repo"
        archive_into(git_dir, candidate.parent, tree)
        pretend_version(tree, git_dir, candidate.parent, repo.split("/")[1])
        env = environments.prepare(spec, tree, commit_date(git_dir, candidate.parent))
        for patch in patches:
            if not apply_patch(tree, patch).ok:
                return None, "a patch does not apply"
        run = run_tests(repo, test_patch, tree, spec, env, sandbox, timeout)
        return run.statuses, (run.env_error or run.error)[:300]


def mine(
    git_dir: Path,
    repo: str,
    environments: Environments,
    sandbox: Sandbox,
    since: str = "",
    max_commits: int = 200,
    timeout: float = 900.0,
    environment: EnvironmentOverride | None = None,
    read_issue: IssueReader | None = None,
    progress: Callable[[str], None] = lambda message: None,
    version: str = "",
    until: str = "",
) -> list[dict]:
    """Instances (SWE-bench's format, lists as JSON strings) for every candidate with a test
    that fails before its fix and passes after it. `version`: SWE-bench's version of the
    repository for these commits, so its per-version spec builds the environment (else the
    plan derived from the repository's files)."""
    owner, name = repo.split("/", 1)
    found = []
    listed = candidates(git_dir, since, max_commits, until)
    progress(f"{len(listed)} candidate commits change code and tests together")
    for number, candidate in enumerate(listed, 1):
        patch = _git(git_dir, "diff", "--no-renames", candidate.parent, candidate.sha, "--", *candidate.code_files)
        test_patch = _git(git_dir, "diff", "--no-renames", candidate.parent, candidate.sha, "--", *candidate.test_files)
        probe = Instance(
            instance_id="", repo=repo, base_commit=candidate.parent, problem_statement="",
            test_patch=test_patch, fail_to_pass=(), pass_to_pass=(), environment=environment,
            version=version,
        )
        spec = spec_for(probe)
        if spec.requirement_files:
            # As SWE-bench reads them: includes inlined, the project's own `-e .` left out.
            text = requirements_text(spec.requirement_files, lambda path, c=candidate: _show(git_dir, c.parent, path))
            spec = replace(spec, requirements=text) if text is not None else spec
        args = (git_dir, repo, candidate)
        before, why = _statuses(*args, [test_patch], test_patch, spec, environments, sandbox, timeout)
        after, why_after = (None, "") if before is None else _statuses(
            *args, [patch, test_patch], test_patch, spec, environments, sandbox, timeout)
        if before is None or after is None:
            progress(f"{number}/{len(listed)} {candidate.sha[:10]}: no test run: {why or why_after}")
            continue
        f2p = sorted(t for t, s in after.items() if s in _PASS and before.get(t) not in _PASS)
        p2p = sorted(t for t, s in after.items() if s in _PASS and before.get(t) in _PASS)
        progress(f"{number}/{len(listed)} {candidate.sha[:10]}: {len(f2p)} fail→pass, {len(p2p)} pass→pass")
        if not f2p:
            continue
        row = {
            "instance_id": f"{owner}__{name}-{candidate.sha[:10]}",
            "repo": repo,
            "base_commit": candidate.parent,
            "fix_commit": candidate.sha,
            "created_at": candidate.date,
            "problem_statement": problem_statement(candidate, read_issue),
            "patch": patch,
            "test_patch": test_patch,
            "FAIL_TO_PASS": json.dumps(f2p),
            "PASS_TO_PASS": json.dumps(p2p),
            "version": version,
            "environment_setup_commit": candidate.parent,
        }
        if environment is not None:
            row["environment"] = {
                "python": environment.python, "install": list(environment.install),
                **({"test_cmd": environment.test_cmd} if environment.test_cmd else {}),
            }
        found.append(row)
    return found
