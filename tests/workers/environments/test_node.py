"""Node: package-lock.json → `npm ci` into a cached node_modules, `npm test` offline over it.

The dependency is a tarball packed in the test (`npm pack`, local) and named by a `file:`
path, so the build needs no registry; the lockfile is written by npm from it, offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from workers.environments.cache import EnvironmentCache
from workers.environments.mount import BuiltEnvironment
from workers.environments.plan import derive_plan
from workers.environments.provider import environment_for
from workers.pipeline.verify.verify import Verifier
from workers.sandbox.port import Limits

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")

TEST_JS = "const assert = require('assert');\nconst { answer } = require('tinydep');\n" \
          "const { triple } = require('./lib');\nassert.strictEqual(answer(), 42);\n" \
          "assert.strictEqual(triple(2), 6);\nconsole.log('all good');\n"


def npm(folder: Path, *args: str) -> str:
    out = subprocess.run(["npm", *args, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"],
                         cwd=folder, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def node_repo(root: Path, lib: str = "exports.triple = (x) => x * 3;\n") -> Path:
    package = root.parent / "tinydep-src"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "tinydep", "version": "1.0.0", "main": "index.js"}))
    (package / "index.js").write_text("exports.answer = () => 42;\n")
    (root / "vendor").mkdir(parents=True)
    npm(package, "pack", "--pack-destination", str(root / "vendor"))
    (root / "package.json").write_text(json.dumps({
        "name": "demo", "version": "0.1.0", "scripts": {"test": "node test.js"},
        "dependencies": {"tinydep": "file:vendor/tinydep-1.0.0.tgz"},
    }))
    npm(root, "install", "--package-lock-only")
    shutil.rmtree(root / "node_modules", ignore_errors=True)
    (root / "test.js").write_text(TEST_JS)
    (root / "lib.js").write_text(lib)
    return root


def test_npm_ci_builds_node_modules_once_and_npm_test_runs_offline(bwrap_sandbox, tmp_path):
    tree = node_repo(tmp_path / "repo")
    plan = derive_plan(tree)
    assert plan.ecosystem == "node" and plan.steps[0].args[:2] == ("npm", "ci")
    assert [path for path, _ in plan.inputs] == ["package-lock.json", "package.json"]
    assert "from package-lock.json (lockfileVersion" in plan.render()
    cache = EnvironmentCache(tmp_path / "cache", bwrap_sandbox)
    built = cache.ensure(plan, tree)
    assert isinstance(built, BuiltEnvironment), built
    assert not (tree / "node_modules").exists() and built.overlay() == {}
    [result] = bwrap_sandbox.run(tree, [built.command("npm test")], Limits())
    assert result.passed, result.output
    assert "all good" in result.output
    assert cache.ensure(plan, tree).reused
    # The lockfile is the key: another dependency set is another environment.
    (tree / "package.json").write_text((tree / "package.json").read_text().replace("0.1.0", "0.2.0"))
    assert derive_plan(tree).key != plan.key


def test_the_verifier_runs_npm_test_in_the_node_environment(bwrap_sandbox, tmp_path):
    tree = node_repo(tmp_path / "repo", lib="exports.triple = (x) => x * 2;\n")
    provider = environment_for(EnvironmentCache(tmp_path / "cache", bwrap_sandbox))
    verifier = Verifier(bwrap_sandbox, Limits(wall_seconds=120), environment=provider)
    paths = ["package.json", "package-lock.json", "test.js", "lib.js"]
    result = verifier.verify(tree, paths, {"lib.js": "exports.triple = (x) => x * 3;\n"})
    assert result.ran, result.reason
    assert result.command == "npm test"
    assert (result.before.passed, result.before.failed) == (0, 1)
    assert (result.after.passed, result.after.failed) == (1, 0)
    assert result.environment is not None and result.environment.python.startswith("node ")
