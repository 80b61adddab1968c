"""Write the trimmed GitHub OpenAPI description the fake GitHub validates against.

GitHub's full description (12.9 MB) lives outside this repository; tests must not read it.
This script keeps every operation the fake serves (routes registered in
`tests/fakes/github/routes/`) with everything it references, plus the component schemas the
fake's response builders start from, exactly as GitHub wrote them (the fake patches known
flaws in memory, as before). Every other operation stays as a stub carrying only its
`operationId` and `x-trimmed: true`, so the fake can still name an operation it does not
implement. Examples are dropped: they validate nothing. The output is gzip-compressed JSON.

    python scripts/trim_openapi.py ../shared/github/openapi/api.github.com.json

Re-run it after adding a route to the fake; the fake refuses a route the file lacks.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "github" / "openapi" / "api.github.com.trimmed.json.gz"
FAKE = ROOT / "tests" / "fakes" / "github"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Error bodies the fake answers with on any route (see dispatch.checked).
ALWAYS = ("basic-error", "validation-error", "validation-error-simple")


def served_operations() -> set[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.github.routes import ROUTES

    return {(r.method, r.template) for r in ROUTES}


def skeleton_schemas() -> set[str]:
    """Schema names the fake builds responses from by name (`skel("name", ...)`, `only("name", ...)`)."""
    names = set(ALWAYS)
    for path in FAKE.rglob("*.py"):
        names.update(re.findall(r'\b(?:skel|only)\(\s*"([a-z0-9-]+)"', path.read_text()))
    return names


def drop_examples(node: Any, parent: str = "") -> Any:
    """Remove `examples` maps of media types (they point at components/examples)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "examples" and parent != "properties" and isinstance(value, dict) and all(
                isinstance(v, dict) and ("$ref" in v or "value" in v) for v in value.values()
            ):
                continue
            out[key] = drop_examples(value, key)
        return out
    if isinstance(node, list):
        return [drop_examples(v) for v in node]
    return node


def refs_in(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                found.add(ref[2:])
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return found


def lookup(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    for token in pointer.split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def trim(doc: dict[str, Any], served: set[tuple[str, str]], schemas: set[str]) -> dict[str, Any]:
    missing = {f"{m.upper()} {t}" for m, t in served if m not in doc["paths"].get(t, {})}
    if missing:
        raise SystemExit(f"not in GitHub's description: {sorted(missing)}")
    paths: dict[str, Any] = {}
    for template, item in doc["paths"].items():
        kept: dict[str, Any] = {}
        for method in METHODS:
            if method not in item:
                continue
            if (method, template) in served:
                kept[method] = drop_examples(item[method])
            else:
                kept[method] = {"operationId": item[method].get("operationId"), "x-trimmed": True}
        if any((m, template) in served for m in METHODS) and "parameters" in item:
            kept["parameters"] = item["parameters"]
        paths[template] = kept
    # Close over $refs: start from the served operations and the skeleton schemas.
    todo = refs_in(paths) | {f"components/schemas/{name}" for name in schemas}
    done: set[str] = set()
    components: dict[str, dict[str, Any]] = {}
    while todo:
        pointer = todo.pop()
        if pointer in done:
            continue
        done.add(pointer)
        parts = pointer.split("/")
        if len(parts) != 3 or parts[0] != "components":
            raise SystemExit(f"unexpected reference #/{pointer}")
        node = drop_examples(lookup(doc, pointer))
        components.setdefault(parts[1], {})[parts[2]] = node
        todo |= refs_in(node) - done
    return {
        "openapi": doc["openapi"],
        "info": doc["info"],
        "servers": doc.get("servers", []),
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="GitHub's api.github.com.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    doc = json.loads(raw)
    trimmed = trim(doc, served_operations(), skeleton_schemas())
    trimmed["info"] = {
        **trimmed["info"],
        "x-trimmed-from": {
            "file": "descriptions/api.github.com/api.github.com.json (github/rest-api-description), "
                    "via npm @octokit/openapi 23.0.2 with Octokit's changes undone",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "by": "scripts/trim_openapi.py",
            "license": "MIT (github/rest-api-description; see tests/data/github/README.md)",
        },
    }
    data = json.dumps(trimmed, separators=(",", ":"), sort_keys=False).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives byte-identical output, so re-running shows no git diff.
    args.out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    served = sum(1 for item in trimmed["paths"].values() for op in item.values()
                 if isinstance(op, dict) and "x-trimmed" not in op and "operationId" in op)
    print(f"{args.out.relative_to(ROOT)}: {served} operations in full, "
          f"{sum(len(v) for v in trimmed['components'].values())} components, "
          f"{len(data)} bytes JSON, {args.out.stat().st_size} bytes gzip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
