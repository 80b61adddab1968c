"""Serve the oracle model: the gold patch of each instance, through the OpenAI API, in the
app's edit format. Proves `iquest eval`'s full-pipeline path: a run against this server must
resolve what `iquest eval --predictions gold` resolves (tests/fakes/oracle_model.py).

Usage:
    .venv/bin/python bench/oracle_model_server.py --instances FILE.jsonl [--port 8765]
    # then, in another shell:
    IQUEST_MODEL_BASE_URL=http://127.0.0.1:8765/v1 iquest eval --instances FILE.jsonl \
        --repos-dir DIR --out OUT
Prints the base URL, serves until interrupted (Ctrl-C), then how many requests it answered.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.model_server import ScriptedModelServer  # noqa: E402
from tests.fakes.oracle_model import load_instances, oracle_responder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args()
    instances = load_instances(args.instances)
    server = ScriptedModelServer(responder=oracle_responder(instances), port=args.port).start()
    print(server.base_url, flush=True)
    print(f"serving the gold patches of {len(instances)} instances; Ctrl-C stops", file=sys.stderr)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    answered = len(server.chat_requests())
    print(f"{answered} chat requests; unexpected: {server.problems or 'none'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
