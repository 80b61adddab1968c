"""Minimal schema-valid instances made from the spec, for response builders to fill in."""

from __future__ import annotations

import copy
from typing import Any

from .spec import Spec

# Placeholders for required fields nobody reads; builders set every field that matters.
PLACEHOLDERS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "uri": "https://github.invalid/",
    "uri-template": "https://github.invalid/{placeholder}",
    "email": "noreply@github.invalid",
}


class Skeletons:
    """Builds (once per schema) an object holding every required property, then copies it."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._cache: dict[str, Any] = {}

    def __call__(self, schema_name: str, **values: Any) -> dict[str, Any]:
        """A fresh `components/schemas/<schema_name>` instance updated with `values`."""
        pointer = f"/components/schemas/{schema_name}"
        if pointer not in self._cache:
            schema, _ = self.spec.resolve({"$ref": f"#{pointer}"})
            # A nullable schema at the top still wants an object here.
            self._cache[pointer] = self._make({**schema, "nullable": False}, depth=0)
        out = copy.deepcopy(self._cache[pointer])
        out.update(values)
        return out

    def _make(self, schema: Any, depth: int) -> Any:
        schema, _ = self.spec.resolve(schema)
        if depth > 12:
            raise RuntimeError("schema too deep for a skeleton")
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._make(part, depth + 1) or {})
            return merged
        if schema.get("nullable"):
            return None
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._make(schema[key][0], depth + 1)
        if "enum" in schema:
            return next(v for v in schema["enum"] if v is not None)
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind == "object":
            props = schema.get("properties", {})
            return {name: self._make(props.get(name, {}), depth + 1)
                    for name in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "string":
            return PLACEHOLDERS.get(schema.get("format", ""), "")
        if kind in ("integer", "number"):
            return schema.get("minimum", 0)
        if kind == "boolean":
            return False
        return None
