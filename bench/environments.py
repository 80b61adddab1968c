"""Test environments on real repositories: cold and warm builds, cache size, test-run overhead.

    .venv/bin/python bench/environments.py [--repos-dir /work/.mirror] [--only requests,flask]

For each repository at a pinned commit (localize-dev's repositories: bring them once with the
search tool's `fetch`, see ../shared/bench/localize-dev/README.md; the tree is `git archive`d
from the mirror, so file times carry the commit's date as GitHub's tarballs do) it measures,
in one run:

- cold build: a new cache and an empty uv download cache (everything downloaded);
- rebuild: the environment removed, uv's download cache kept (a new key with known packages);
- warm: `ensure` again (a cache hit);
- the environment's size;
- the same tests run three ways: `iquest env run`'s way (sandbox + the mounted environment),
  a plain venv on the host (no sandbox) built by uv from the same plan, and the sandbox alone
  running a trivial command (the sandbox's fixed cost). Ratios are against the plain venv.

Needs the network (the package index) for the builds. Prints a Markdown table and writes
bench/results/environments-*.json with the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe_machine  # noqa: E402

from workers.environments.build import default_uv  # noqa: E402
from workers.environments.cache import EnvironmentCache  # noqa: E402
from workers.environments.mount import BuiltEnvironment  # noqa: E402
from workers.environments.plan import derive_plan  # noqa: E402
from workers.environments.provider import tree_date  # noqa: E402
from workers.sandbox.port import Command, Limits  # noqa: E402
from workers.sandbox.select import SandboxBackend, build_sandbox  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# name → (mirror folder, commit, test command). Tests chosen to run offline.
REPOS = {
    "requests": ("psf+requests", "fe693c492242ae532211e0c173324f09ca8cf227",
                 "python -m pytest -q -p no:cacheprovider test_requests.py -k 'Structures or Utils'"),
    "flask": ("pallets+flask", "4c288bc97ea371817199908d0d9b12de9dae327e",
              "python -m pytest -q -p no:cacheprovider tests/test_basic.py"),
    "sympy": ("sympy+sympy", "674afc619d7f5c519b6a5393a8b0532a131e57e0",
              "python -m pytest -q -p no:cacheprovider sympy/core/tests/test_basic.py"),
    "pytest": ("pytest-dev+pytest", "e2ee3144ed6e241dea8d96215fcdca18b3892551",
               "python -m pytest -q -p no:cacheprovider testing/test_mark_expression.py"),
}
RUNS = 3


def tree_at(mirror: Path, commit: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(mirror), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def timed(action):
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def best_of(action) -> tuple[object, float]:
    results = [timed(action) for _ in range(RUNS)]
    return results[-1][0], min(seconds for _, seconds in results)


def plain_venv(plan, tree: Path, folder: Path) -> Path:
    """A venv on the host from the same plan (the baseline: what a developer would have)."""
    uv = str(default_uv())
    env = {**os.environ, "UV_CACHE_DIR": str(folder / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never",
           **({"SETUPTOOLS_SCM_PRETEND_VERSION": plan.scm_version} if plan.scm_version else {})}
    venv = folder / "venv"
    subprocess.run([uv, "venv", "-q", "--python", str(plan.interpreter.executable), str(venv)], check=True, env=env)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *plan.install_args()],
                   check=True, env=env, cwd=tree)
    return venv


def measure(name: str, mirror_root: Path, work: Path, sandbox) -> dict:
    folder, commit, command = REPOS[name]
    tree = tree_at(mirror_root / folder / "repo", commit, work / name / "tree")
    plan = derive_plan(tree, commit_date=tree_date(tree))
    cache = EnvironmentCache(work / name / "cache", sandbox)
    cold, cold_s = timed(lambda: cache.ensure(plan, tree))
    if not isinstance(cold, BuiltEnvironment):
        return {"repo": name, "commit": commit, "error": cold.reason()}
    shutil.rmtree(cold.path)
    rebuilt, rebuild_s = timed(lambda: cache.ensure(plan, tree))
    warm, warm_s = timed(lambda: cache.ensure(plan, tree))
    assert isinstance(rebuilt, BuiltEnvironment) and isinstance(warm, BuiltEnvironment) and warm.reused
    limits = Limits(wall_seconds=600)
    overlay = warm.overlay()
    [in_env], env_s = best_of(lambda: sandbox.run(tree, [warm.command(command)], limits, overlay))
    [_], sandbox_s = best_of(lambda: sandbox.run(tree, [Command("true")], limits))
    venv = plain_venv(plan, tree, work / name / "plain")
    host_env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(work), "VIRTUAL_ENV": str(venv)}
    plain, plain_s = best_of(lambda: subprocess.run(command, shell=True, cwd=tree, env=host_env,
                                                    capture_output=True, text=True))
    return {
        "repo": name, "commit": commit, "python": warm.python, "key": warm.key[:12],
        "steps": [s.text() for s in plan.steps], "exclude_newer": plan.exclude_newer,
        "cold_build_s": round(cold_s, 2), "rebuild_warm_downloads_s": round(rebuild_s, 2),
        "warm_hit_s": round(warm_s, 4), "size_mib": round(warm.size_bytes / 2**20, 1),
        "test_in_env_s": round(env_s, 2), "test_plain_venv_s": round(plain_s, 2),
        "sandbox_true_s": round(sandbox_s, 2),
        "overhead_ratio": round(env_s / plain_s, 2) if plain_s else None,
        "env_tests_passed": in_env.passed, "plain_tests_passed": plain.returncode == 0,
        "env_tail": in_env.output.strip().splitlines()[-1:] if in_env.output.strip() else [],
        "plain_tail": plain.stdout.strip().splitlines()[-1:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos-dir", type=Path, default=Path(os.environ.get("LOCALIZE_REPOS_DIR", "/work/.mirror")))
    parser.add_argument("--only", default=",".join(REPOS))
    args = parser.parse_args()
    sandbox = build_sandbox(SandboxBackend.AUTO)
    if not sandbox.available:
        print(f"no sandbox: {sandbox.reason}")
        return 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="iquest-bench-env-") as work:
        for name in args.only.split(","):
            try:
                row = measure(name, args.repos_dir, Path(work), sandbox)
            except (subprocess.CalledProcessError, OSError) as error:
                row = {"repo": name, "error": f"{type(error).__name__}: {error}"[:300]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| repo | python | cold build s | rebuild (downloads cached) s | warm hit s | size MiB "
          "| tests in env s | plain venv s | ratio | sandbox `true` s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['repo']} | build failed: {r['error'][:80]} |")
            continue
        print(f"| {r['repo']} | {r['python']} | {r['cold_build_s']} | {r['rebuild_warm_downloads_s']} | "
              f"{r['warm_hit_s']} | {r['size_mib']} | {r['test_in_env_s']} | {r['test_plain_venv_s']} | "
              f"{r['overhead_ratio']} | {r['sandbox_true_s']} |")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"environments-{stamp}.json"
    out.write_text(json.dumps({"machine": describe_machine(), "rows": rows}, indent=1))
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
