"""A small kustomize renderer for the subset deploy/k8s uses, so tests need no kubectl binary.

Supported: `resources` (files, and directories holding a kustomization.yaml), `namespace`,
`images` (newName/newTag), and `patches` given by `path` or inline `patch` — strategic-merge
patches (matched by kind and name; `$patch: delete` removes a resource, one per patch; a field
set to null is removed; lists of objects merge by `name`, `mountPath` or `containerPort`, other
lists are replaced) and JSON 6902 patches (add/replace/remove) with a `target`. Anything else in a kustomization is refused, so a
manifest that needs more of kustomize fails the tests instead of being rendered wrongly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
# Kinds that live outside any namespace.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "IngressClass"}
LIST_MERGE_KEYS = ("name", "mountPath", "containerPort")


class KustomizeError(ValueError):
    pass


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def render(directory: Path) -> list[dict[str, Any]]:
    """The resources a kustomization directory renders to, in order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED_KEYS
    if unknown:
        raise KustomizeError(f"{directory}: this renderer does not support {sorted(unknown)}")
    resources: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        resources.extend(render(target) if target.is_dir() else load_documents(target))
    for patch in kustomization.get("patches", []):
        resources = _apply_patch(directory, patch, resources)
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    return resources


def _apply_patch(directory: Path, entry: dict[str, Any],
                 resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = (directory / entry["path"]).read_text() if "path" in entry else entry["patch"]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(docs) == 1 and isinstance(docs[0], list):
        if "target" not in entry:
            raise KustomizeError("a JSON 6902 patch needs a target")
        [resource] = _matching(resources, entry["target"])
        for op in docs[0]:
            _json6902(resource, op)
        return resources
    if len(docs) > 1 and any(doc.get("$patch") == "delete" for doc in docs):
        # kustomize before 5.7 (kubectl before 1.34) panics on it.
        raise KustomizeError("a `$patch: delete` must be a patch of its own")
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        found = _matching(resources, {"kind": kind, "name": name})
        if len(found) != 1:
            raise KustomizeError(f"patch for {kind}/{name} matches {len(found)} resources")
        if doc.get("$patch") == "delete":
            resources = [r for r in resources if r is not found[0]]
        else:
            _merge(found[0], doc)
    return resources


def _matching(resources: list[dict[str, Any]], target: dict[str, str]) -> list[dict[str, Any]]:
    def fits(resource: dict[str, Any]) -> bool:
        group, _, version = resource["apiVersion"].rpartition("/")
        return (resource["kind"] == target["kind"]
                and resource["metadata"]["name"] == target["name"]
                and target.get("group", group) == group
                and target.get("version", version) == version)

    found = [r for r in resources if fits(r)]
    if not found:
        raise KustomizeError(f"no resource matches {target}")
    return found


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)  # `key: null` removes the field
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = _merge_list(base[key], value)
        else:
            base[key] = _without_nulls(value)


def _without_nulls(value: Any) -> Any:
    """A copy of what a patch adds, without the fields it sets to null (kustomize's rendering)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _merge_list(base: list[Any], patch: list[Any]) -> list[Any]:
    for merge_key in LIST_MERGE_KEYS:
        if all(isinstance(i, dict) and merge_key in i for i in base + patch):
            merged = [copy.deepcopy(i) for i in base]
            for item in patch:
                twin = next((m for m in merged if m[merge_key] == item[merge_key]), None)
                if twin is None:
                    merged.append(_without_nulls(item))
                else:
                    _merge(twin, item)
            return merged
    return copy.deepcopy(patch)


def _json6902(resource: dict[str, Any], op: dict[str, Any]) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
    node: Any = resource
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op["op"] == "add":
            node.insert(index, op["value"])
        elif op["op"] == "replace":
            node[index] = op["value"]
        elif op["op"] == "remove":
            del node[index]
        else:
            raise KustomizeError(f"unsupported op {op['op']}")
        return
    if op["op"] == "replace" and last not in node:
        raise KustomizeError(f"replace of missing {op['path']}")
    if op["op"] in ("add", "replace"):
        node[last] = op["value"]
    elif op["op"] == "remove":
        del node[last]
    else:
        raise KustomizeError(f"unsupported op {op['op']}")


def _set_image(resources: list[dict[str, Any]], image: dict[str, str]) -> None:
    for resource in resources:
        pod = resource.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
