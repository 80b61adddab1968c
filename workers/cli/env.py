"""`iquest env plan|build|run|list|prune`: a repository's test environment from the command line.

`plan` prints what would be installed and why, and the key; `build` builds or reuses it;
`run` runs a command in the sandbox over the tree with the environment mounted read-only and
no network, and exits with the command's status; `list` and `prune` look after the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

EXIT_USAGE = 2
EXIT_BUILD_FAILED = 3
EXIT_NO_SANDBOX = 4
EXIT_TIMED_OUT = 124


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "env",
        help="plan, build, run in, list and prune test environments",
        description=(
            "Test environments: the dependencies a repository's tests need, derived from its "
            "files, built once with uv in the sandbox (network for the build only), cached by "
            f"content. Exit {EXIT_BUILD_FAILED} when a build fails, {EXIT_NO_SANDBOX} without a "
            f"usable sandbox, {EXIT_TIMED_OUT} when `run` times out; `run` otherwise exits with "
            "the command's status."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True)
    for name, text in (("plan", "print the install plan and its key"), ("build", "build or reuse")):
        action = actions.add_parser(name, help=text)
        _tree_options(action)
    run = actions.add_parser("run", help="run CMD in the sandbox with the environment, offline")
    _tree_options(run)
    run.add_argument("--timeout", type=float, default=None, help="seconds (IQUEST_SANDBOX_TIMEOUT_SECONDS)")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS…")
    listing = actions.add_parser("list", help="the cached environments")
    listing.add_argument("--json", action="store_true")
    prune = actions.add_parser("prune", help="evict least recently used environments")
    prune.add_argument("--max-bytes", type=int, default=None, help="shrink to this size (default: the cap)")
    prune.add_argument("--all", action="store_true", help="remove every environment")
    return parser


def _tree_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, type=Path, help="the repository's folder")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--python", help="the interpreter, e.g. 3.10 (overrides what is declared)")
    parser.add_argument("--exclude-newer", help="resolve as of this date (default: the commit's)")
    parser.add_argument("--find-links", action="append", default=[], help="a local folder of wheels")
    parser.add_argument("--no-index", action="store_true", help="use --find-links folders only")


def run(args: argparse.Namespace) -> int:
    from workers.config import Settings

    settings = _user_cache(Settings())
    if args.action in ("list", "prune"):
        return _list(settings, args) if args.action == "list" else _prune(settings, args)
    root = args.root.resolve()
    if not root.is_dir():
        return _fail(EXIT_USAGE, f"--root {args.root} is not a folder")
    plan = _plan(settings, root, args)
    if args.action == "plan":
        _print(args, plan.as_json(), plan.render())
        return 0
    if args.action == "run" and (not args.cmd or args.cmd == ["--"]):
        return _fail(EXIT_USAGE, "give the command after --, e.g. `iquest env run --root . -- pytest -q`")
    sandbox, cache = _cache(settings)
    if cache is None:
        return _fail(EXIT_NO_SANDBOX, f"no test environments here: {sandbox.reason or 'uv is missing'}")
    # Asked by a person: a build that failed a moment ago is tried again.
    built = cache.ensure(plan, root, retry_failed=True)
    from workers.environments.mount import BuildFailure

    if isinstance(built, BuildFailure):
        _print(args, {"key": plan.key, "ok": False, "reason": built.reason()}, built.reason(), err=True)
        return EXIT_BUILD_FAILED
    facts = {
        "key": built.key, "ok": True, "cache": "hit" if built.reused else "miss",
        "seconds": round(built.seconds, 3), "size_bytes": built.size_bytes, "python": built.python,
    }
    if args.action == "build":
        text = (f"key {built.key}\ncache {facts['cache']}\nseconds {built.seconds:.2f}\n"
                f"size {built.size_bytes / 2**20:.1f} MiB\npython {built.python}")
        _print(args, facts, text)
        return 0
    return _run_command(settings, sandbox, built, root, args, facts)


def _plan(settings, root: Path, args):
    from workers.environments.from_settings import index_from_settings
    from workers.environments.plan import EnvironmentSettings, IndexSettings, derive_plan
    from workers.environments.provider import tree_date

    index = index_from_settings(settings)
    if args.find_links or args.no_index:
        folders = tuple(str(Path(f).resolve()) for f in args.find_links) or index.find_links
        index = IndexSettings(index.index_url, folders, args.no_index or index.no_index)
    when = tree_date(root)
    if args.exclude_newer:
        when = datetime.fromisoformat(args.exclude_newer).replace(tzinfo=UTC)
    environment = EnvironmentSettings(python=args.python) if args.python else None
    return derive_plan(root, environment, commit_date=when, index=index)


def _user_cache(settings):
    """Without IQUEST_DATA_DIR or IQUEST_ENV_CACHE_DIR, one cache per user (not per working
    directory): `iquest env build` from anywhere reuses what an earlier one built."""
    if os.environ.get("IQUEST_DATA_DIR") or os.environ.get("IQUEST_ENV_CACHE_DIR"):
        return settings
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "iquest"
    return settings.model_copy(update={"data_dir": base, "env_cache_dir": base / "environments"})


def _cache(settings):
    from workers.environments.from_settings import cache_from_settings
    from workers.sandbox.select import SandboxBackend, build_sandbox

    sandbox = build_sandbox(SandboxBackend(settings.sandbox), settings.data_dir / "sandbox")
    return sandbox, cache_from_settings(settings, sandbox)


def _run_command(settings, sandbox, built, root: Path, args, facts: dict) -> int:
    from workers.sandbox.port import Limits, Verdict

    command = args.cmd[1:] if args.cmd[0] == "--" else args.cmd
    limits = Limits(
        wall_seconds=args.timeout or settings.sandbox_timeout_seconds,
        memory_bytes=settings.sandbox_memory_mb << 20,
        max_processes=settings.sandbox_max_processes,
        max_output_bytes=settings.sandbox_max_output_bytes,
        tmp_bytes=settings.sandbox_tmp_bytes,
        scratch_bytes=settings.sandbox_scratch_bytes,
    )
    [result] = sandbox.run(root, [built.command(shlex.join(command))], limits, built.overlay())
    sys.stdout.write(result.output)
    sys.stderr.write(f"iquest env: environment {built.key[:12]} ({'cache hit' if built.reused else 'built'})\n")
    if result.reason:
        sys.stderr.write(f"iquest env: {result.reason}\n")
    if result.verdict is Verdict.TIMED_OUT:
        return _fail(EXIT_TIMED_OUT, f"the command timed out after {limits.wall_seconds:g} s")
    if result.verdict is Verdict.NOT_RUN:
        return _fail(EXIT_NO_SANDBOX, result.reason)
    if result.exit_code is None:
        return _fail(1, f"the command was stopped: {result.verdict.value}")
    return result.exit_code


def _list(settings, args) -> int:
    cache = _offline_cache(settings)
    entries = cache.entries()
    if args.json:
        print(json.dumps([e.as_json() for e in entries], indent=1))
        return 0
    for e in sorted(entries, key=lambda e: -e.last_used):
        used = datetime.fromtimestamp(e.last_used, UTC).isoformat(timespec="seconds")
        print(f"{e.key[:16]}  {e.size_bytes / 2**20:8.1f} MiB  python {e.python:8}  last used {used}")
    print(f"{len(entries)} environment(s), {sum(e.size_bytes for e in entries) / 2**20:.1f} MiB")
    return 0


def _prune(settings, args) -> int:
    cache = _offline_cache(settings)
    removed = cache.evict(0 if args.all else args.max_bytes, force=args.all or args.max_bytes is not None)
    for entry in removed:
        print(f"removed {entry.key[:16]} ({entry.size_bytes / 2**20:.1f} MiB)")
    print(f"{len(removed)} environment(s) removed")
    return 0


def _offline_cache(settings):
    """The cache for listing and pruning: no sandbox or uv needed."""
    from workers.environments.build import BuildTools
    from workers.environments.cache import EnvironmentCache
    from workers.environments.from_settings import cache_root
    from workers.sandbox.none import NoSandbox

    root = cache_root(settings)
    tools = BuildTools(Path("uv"), root / "uv-cache")
    return EnvironmentCache(root, NoSandbox("listing only"), cap_bytes=settings.env_cache_bytes, tools=tools)


def _print(args, data: dict, text: str, err: bool = False) -> None:
    stream = sys.stderr if err and not args.json else sys.stdout
    stream.write((json.dumps(data, indent=1, default=str) if args.json else text) + "\n")


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"iquest env: {message}\n")
    return code
