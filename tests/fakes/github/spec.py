"""GitHub's OpenAPI description: loaded once, patched in memory, indexed by operation."""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

# GitHub's description trimmed to the operations the fake serves (scripts/trim_openapi.py writes
# it from GitHub's full file; origin and licence in tests/data/github/README.md).
SPEC_PATH = (
    Path(__file__).resolve().parents[3] / "tests" / "data" / "github" / "openapi"
    / "api.github.com.trimmed.json.gz"
)
SPEC_URI = "https://fake-github.invalid/openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Parameters that GitHub lets span several path segments (refs, file paths, branch names).
GREEDY_PARAMS = {"path": ".*", "ref": ".+", "branch": ".+", "basehead": ".+"}


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class Param:
    name: str
    location: str
    required: bool
    pointer: str  # JSON pointer to the parameter's schema
    type: str | None


@dataclass
class Operation:
    method: str
    template: str
    operation_id: str
    params: list[Param] = field(default_factory=list)
    body_pointer: str | None = None
    body_required: bool = False
    # status ("200", "default") -> JSON pointer of the application/json schema, None without body
    responses: dict[str, str | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.template}"


def compile_template(template: str) -> re.Pattern[str]:
    """Turn `/repos/{owner}/{repo}/contents/{path}` into a regex over the raw request path."""
    out = []
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            group = re.sub(r"\W", "_", name)  # a few templates use names like {org-name}
            out.append(f"(?P<{group}>{GREEDY_PARAMS.get(name, '[^/]+')})")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")


def literal_weight(template: str) -> tuple[int, int]:
    """Sort key: most literal segments first, so `.../{ref}/check-runs` wins over `.../{ref}`."""
    segments = template.strip("/").split("/")
    return (-sum(not s.startswith("{") for s in segments), -len(template))


class Spec:
    """The patched document, its operations, and cached schema validators."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(doc, default_specification=DRAFT4)
        )
        self._validators: dict[str, OAS30Validator] = {}
        self.operations: dict[tuple[str, str], Operation] = {}
        # Operations outside the trimmed set are stubs: named, so a request to one is reported
        # as "not implemented by the fake", but never routable.
        self.stubs: dict[tuple[str, str], Operation] = {}
        for template, item in doc["paths"].items():
            for method in METHODS:
                if method in item and item[method].get("x-trimmed"):
                    self.stubs[(method, template)] = Operation(
                        method, template, item[method].get("operationId", f"{method} {template}"))
                elif method in item:
                    self.operations[(method, template)] = self._index(template, method, item)
        self._all_routes: list[tuple[re.Pattern[str], Operation]] | None = None

    def resolve(self, node: Any) -> tuple[Any, str | None]:
        """Follow local `$ref`s; return the target and its pointer (None if not a ref)."""
        pointer = None
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"][1:]
            node = self.doc
            for token in pointer.strip("/").split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def _index(self, template: str, method: str, item: dict[str, Any]) -> Operation:
        op_obj = item[method]
        base = f"/paths/{escape_pointer(template)}/{method}"
        op = Operation(method, template, op_obj.get("operationId", f"{method} {template}"))
        for i, raw in enumerate(op_obj.get("parameters", [])):
            param, ptr = self.resolve(raw)
            ptr = ptr or f"{base}/parameters/{i}"
            schema, _ = self.resolve(param.get("schema", {}))
            op.params.append(
                Param(param["name"], param["in"], bool(param.get("required")),
                      f"{ptr}/schema", schema.get("type"))
            )
        if "requestBody" in op_obj:
            body, ptr = self.resolve(op_obj["requestBody"])
            ptr = ptr or f"{base}/requestBody"
            if "application/json" in body.get("content", {}):
                op.body_pointer = f"{ptr}/content/application~1json/schema"
                op.body_required = bool(body.get("required"))
        for status, raw in op_obj.get("responses", {}).items():
            resp, ptr = self.resolve(raw)
            ptr = ptr or f"{base}/responses/{status}"
            content = resp.get("content", {})
            op.responses[status] = (
                f"{ptr}/content/application~1json/schema" if "application/json" in content else None
            )
        return op

    def validator(self, pointer: str) -> OAS30Validator:
        found = self._validators.get(pointer)
        if found is None:
            found = OAS30Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self.registry,
                format_checker=OAS30Validator.FORMAT_CHECKER,
            )
            self._validators[pointer] = found
        return found

    def errors(self, pointer: str, instance: Any, limit: int = 5) -> list[str]:
        """Schema errors for `instance` against the schema at `pointer` (empty when valid)."""
        out = []
        for err in self.validator(pointer).iter_errors(instance):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            out.append(f"{where}: {err.message[:300]}")
            if len(out) >= limit:
                break
        return out

    def match_any(self, method: str, path: str) -> Operation | None:
        """Which documented operation a path would be, for unknown-route diagnostics."""
        if self._all_routes is None:
            everything = [*self.operations.values(), *self.stubs.values()]
            ops = sorted(everything, key=lambda o: literal_weight(o.template))
            self._all_routes = [(compile_template(o.template), o) for o in ops]
        for pattern, op in self._all_routes:
            if op.method == method.lower() and pattern.match(path):
                return op
        return None


def patch_known_flaws(node: Any) -> None:
    """Fix, in memory, what trips validators in GitHub's file (see tests/data/github/README.md).

    1. `discriminator`s: the check-runs request body has one with inline alternatives and no
       mapping, and the contents response maps `array` (directory listings); removing all five
       is simplest and loses nothing the `oneOf`s do not already say.
    2. `nullable: true` with an `enum` that lacks null (check-run `conclusion`, issue
       `state_reason`, review-comment `start_side`, ...): validators would reject the nulls
       GitHub really sends.
    3. `nullable: true` beside `oneOf`/`anyOf`/`allOf` and no `type` (86 places: commit
       `author`/`committer`, installation `account`, ...): OAS 3.0 validators only honour
       `nullable` next to `type`, so they reject the null GitHub sends for a commit whose
       e-mail belongs to no account. Null is made an explicit alternative.
    """
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            cur.pop("discriminator", None)
            enum = cur.get("enum")
            if cur.get("nullable") is True and isinstance(enum, list) and None not in enum:
                enum.append(None)
            composite = [k for k in ("oneOf", "anyOf", "allOf") if k in cur]
            if cur.get("nullable") is True and "type" not in cur and composite:
                inner = {k: cur.pop(k) for k in composite}
                cur["anyOf"] = [inner, {"enum": [None]}]
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


@functools.lru_cache(maxsize=1)
def load_spec(path: str | None = None) -> Spec:
    """Load and patch the description once per process; spec validation stays off."""
    source = Path(path or SPEC_PATH)
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as fh:
        doc = json.load(fh)
    patch_known_flaws(doc)
    return Spec(doc)
