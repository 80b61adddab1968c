"""The `iquest` command line: one module per subcommand, each with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand name -> module under workers.cli. Modules are imported only when their
# command runs, so `iquest apply` never pays for FastAPI or Celery imports.
SUBCOMMANDS: dict[str, str] = {
    "serve": "serve",
    "worker": "worker",
    "dev": "dev",
    "fix": "fix",
    "apply": "apply",
    "localize": "localize",
    "repair": "repair",
    "event": "event",
    "context": "context",
    "replay": "replay",
    "beat": "beat",
    "redeliver": "redeliver",
    "doctor": "doctor",
    "db": "db",
    "report": "report",
    "eval": "eval",
    "env": "env",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Build only the requested subcommand's parser when we can, so help for one
    # command does not import every other command's dependencies.
    parser = argparse.ArgumentParser(prog="iquest", description="iquest-autofix")
    sub = parser.add_subparsers(dest="command", required=True)
    wanted = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    names = [wanted] if wanted else list(SUBCOMMANDS)
    modules = {}
    for name in names:
        module = importlib.import_module(f"workers.cli.{SUBCOMMANDS[name]}")
        module.add_parser(sub)
        modules[name] = module
    args = parser.parse_args(argv)
    return int(modules[args.command].run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
