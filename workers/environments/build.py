"""One environment build: uv in the sandbox, the network on for this run only.

The sandbox is the one tests run in (no credentials, no host home, an empty environment,
limits), with three differences: the network namespace is shared so uv reaches the index,
the output folder is mounted writable at /opt/iquest/env, and uv's download cache is mounted
writable so a second build of a similar plan downloads nothing. uv never downloads a Python
(UV_PYTHON_DOWNLOADS=never) and reads no configuration of the repository's (UV_NO_CONFIG), so a
repository cannot point the build at another index.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workers.environments import bridge
from workers.environments.egress import EgressProxy, allowed_hosts
from workers.environments.mount import ENV_DIR, SYSTEM_PATH, VENV, BuildFailure
from workers.environments.plan import EnvironmentPlan
from workers.sandbox.port import Command, Limits, Mount, RunResult, Sandbox
from workers.sandbox.tools import TOOLS_DIR

UV = "/opt/iquest/bin/uv"
EGRESS_DIR = "/opt/iquest/egress"
BRIDGE = "/opt/iquest/bridge.py"
BRIDGE_READY = "/tmp/.iquest-bridge-ready"
PROXY_PORT = 3128
PROXY_URL = f"http://127.0.0.1:{PROXY_PORT}"
UV_CACHE = "/opt/iquest/uv-cache"
NPM_CACHE = "/opt/iquest/npm-cache"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
TAIL_LINES = 15
BUILD_LIMITS = Limits(
    wall_seconds=900, memory_bytes=4 << 30, max_processes=512, max_output_bytes=4 << 20,
    max_file_bytes=1 << 30, tmp_bytes=1 << 30, scratch_bytes=4 << 30,
)


@dataclass(frozen=True)
class BuildTools:
    uv: Path  # the uv binary the worker ships (mounted read-only)
    uv_cache: Path  # shared download cache, writable in builds only
    limits: Limits = BUILD_LIMITS
    proxies: Mapping[str, str] = field(default_factory=dict)  # the worker's proxy, builds only
    # "proxy": the build keeps its own network namespace and goes out through `egress` (public
    # addresses only); "host": it shares the worker's network (needed behind an upstream proxy).
    network: str = "proxy"


def default_uv() -> Path:
    try:
        from uv import find_uv_bin

        return Path(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise FileNotFoundError("uv is not installed on this worker") from None
        return Path(found)


def proxies_from_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in PROXY_VARIABLES if os.environ.get(name)}


def run_build(
    plan: EnvironmentPlan, tree: Path, sandbox: Sandbox, out: Path, tools: BuildTools
) -> BuildFailure | None:
    """Build plan's environment into out (venv/ or node_modules/, overlay/, build.log); None
    when it worked."""
    if plan.interpreter is None:
        what = "node" if plan.ecosystem == "node" else "a Python"
        return BuildFailure(plan.key, f"choose {what}", plan.interpreter_reason, 0.0)
    npm_cache = tools.uv_cache.with_name("npm-cache")
    for folder in (out, tools.uv_cache, npm_cache):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o777)  # a root worker's sandbox runs as a throwaway uid
    if os.geteuid() == 0:
        for cache in (tools.uv_cache, npm_cache):
            _share(cache)
    if plan.ecosystem == "node":
        return _run(plan, tree, sandbox, out, tools, *_node_scripts(plan, out, npm_cache, tools))
    mounts = [
        Mount(tools.uv, UV),
        Mount(out, ENV_DIR, writable=True),
        Mount(tools.uv_cache, UV_CACHE, writable=True),
    ]
    if not plan.interpreter.prefix.is_relative_to("/usr"):
        mounts.append(Mount(plan.interpreter.prefix, str(plan.interpreter.prefix)))
    mounts += [Mount(Path(folder), folder) for folder in plan.index.find_links]
    env = {
        "PATH": f"{VENV}/bin:{SYSTEM_PATH}",
        "UV_CACHE_DIR": UV_CACHE,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
        "UV_LINK_MODE": "copy",
        "UV_NO_PROGRESS": "1",
        # Bytecode now: the environment is read-only in every run, which could not cache it.
        "UV_COMPILE_BYTECODE": "1",
        **({"SSL_CERT_FILE": str(CA_BUNDLE)} if CA_BUNDLE.exists() else {}),
        **tools.proxies,
        **({"SETUPTOOLS_SCM_PRETEND_VERSION": plan.scm_version} if plan.scm_version else {}),
    }
    network = not plan.index.no_index
    if plan.index.index_url and not plan.index.no_index:
        env["UV_DEFAULT_INDEX"] = plan.index.index_url
    install = f"{UV} pip install --python {VENV}/bin/python " + shlex.join(plan.install_args(index_url=False))
    scripts = [
        (f"{UV} venv --quiet --python {shlex.quote(str(plan.interpreter.executable))} {VENV}", False,
         f"uv venv --python {plan.interpreter.minor}"),
        (install, network, plan.install_command()),
        *((step.args[0], network, step.args[0]) for step in plan.commands),
    ]
    return _run(plan, tree, sandbox, out, tools, scripts, env, mounts)


def _node_scripts(plan: EnvironmentPlan, out: Path, npm_cache: Path, tools: BuildTools):
    into = f"cd {shlex.quote(plan.package)} && " if plan.package else ""
    env = {
        "PATH": f"{ENV_DIR}/node_modules/.bin:{SYSTEM_PATH}",
        "npm_config_cache": NPM_CACHE,
        "npm_config_update_notifier": "false",
        **({"NODE_EXTRA_CA_CERTS": str(CA_BUNDLE)} if CA_BUNDLE.exists() else {}),
        **tools.proxies,
    }
    mounts = [Mount(out, ENV_DIR, writable=True), Mount(npm_cache, NPM_CACHE, writable=True)]
    scripts = [
        (into + shlex.join(plan.steps[0].args), True, "npm ci"),
        # node_modules leaves the tree for the environment; tests see it mounted back read-only.
        (f"{into}cp -a node_modules {ENV_DIR}/node_modules", False, "keep node_modules"),
        *((step.args[0], True, step.args[0]) for step in plan.commands),
    ]
    return scripts, env, mounts


def _run(plan, tree, sandbox, out, tools, scripts, env, mounts) -> BuildFailure | None:
    started = time.monotonic()
    through_proxy = tools.network == "proxy" and not tools.proxies
    # Short: a unix socket's path has at most 107 bytes.
    egress_dir = Path(tempfile.mkdtemp(prefix="iq-egress-"))
    os.chmod(egress_dir, 0o755)
    if through_proxy:
        env = {**env, **{name: PROXY_URL for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy",
                                                      "npm_config_proxy", "npm_config_https_proxy")}}
        mounts = [*mounts, Mount(egress_dir, EGRESS_DIR, writable=True), Mount(Path(bridge.__file__), BRIDGE)]
        # The CA bundle (TLS goes end to end through the proxy); DNS is the proxy's business.
        mounts += [Mount(Path(f"/etc/{name}"), f"/etc/{name}") for name in ("ssl", "ca-certificates")
                   if Path(f"/etc/{name}").is_dir()]
    # umask 0: a root worker's sandbox uid differs per worker process, and the next build's uid
    # must be able to write the shared caches.
    commands = [
        Command(f"umask 0000 && {_bridged(script) if net and through_proxy else script}", env, tuple(mounts),
                network=net and not through_proxy)
        for script, net, _ in scripts
    ]
    allow = allowed_hosts([plan.index.index_url or ""])
    with EgressProxy(egress_dir, allow) if through_proxy else contextlib.nullcontext():
        results = sandbox.run(tree, commands, tools.limits,
                              collect=lambda repo: _keep_written(tree, repo, out / "overlay"))
    shutil.rmtree(egress_dir, ignore_errors=True)
    log = "\n".join(f"$ {shown}\n{r.output}{r.reason}" for (_, _, shown), r in zip(scripts, results, strict=False))
    (out / "build.log").write_text(log)
    failed = next((i for i, r in enumerate(results) if not r.passed), None)
    if failed is None and len(results) == len(commands):
        if plan.ecosystem == "python":
            _add_fallback_runner(out / "venv")
        return None
    index = failed if failed is not None else len(results)
    last = results[index] if index < len(results) else RunResult(verdict=results[-1].verdict)
    return BuildFailure(plan.key, scripts[index][2], _tail(last), time.monotonic() - started)


def _bridged(script: str) -> str:
    """script, after the relay to the egress proxy listens inside the sandbox."""
    python = Path(sys.base_prefix) / "bin" / "python3"
    start = f"{python} {BRIDGE} {EGRESS_DIR}/egress.sock {PROXY_PORT} {BRIDGE_READY} &"
    wait = f"for i in $(seq 200); do [ -e {BRIDGE_READY} ] && break; sleep 0.05; done"
    return f"{start} {wait}; {script}"


def _share(cache: Path) -> None:
    """Let the next build's uid use what an earlier one cached: a root worker's sandbox runs
    each worker process as another throwaway uid, and uv writes some entries 0600."""
    for directory, names, files in os.walk(cache):
        for name in names:
            _chmod(Path(directory) / name, 0o777)
        for name in files:
            _chmod(Path(directory) / name, 0o666)


def _chmod(path: Path, mode: int) -> None:
    try:
        if not path.is_symlink() and (path.stat().st_mode & mode) != mode:
            os.chmod(path, path.stat().st_mode | mode)
    except OSError:
        pass


def _add_fallback_runner(venv: Path) -> None:
    """The worker's pytest, last on sys.path: used only when the environment has none."""
    for site in venv.glob("lib/python3*/site-packages"):
        (site / "zz_iquest_pytest.pth").write_text(TOOLS_DIR + "\n")


def _tail(result: RunResult) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = "\n".join(lines[-TAIL_LINES:])
    if result.reason:
        text = f"{text}\n{result.reason}".strip()
    if not result.passed and result.exit_code is None and not result.reason:
        text = f"{text}\n({result.verdict.value})".strip()
    return text


def _keep_written(original: Path, scratch: Path, overlay: Path) -> None:
    """Copy what the build added or changed in the tree (not bytecode) to overlay."""
    for directory, names, files in os.walk(scratch):
        names[:] = [n for n in names if n not in ("__pycache__", ".git", "node_modules")]
        for name in files:
            path = Path(directory) / name
            if path.is_symlink() or name.endswith((".pyc", ".pyo")):
                continue
            relative = path.relative_to(scratch)
            before = original / relative
            try:
                stat, old = path.stat(), before.stat()
                if stat.st_size == old.st_size and stat.st_mtime_ns == old.st_mtime_ns:
                    continue
            except FileNotFoundError:
                pass
            target = overlay / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
