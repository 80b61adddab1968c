"""The metric names a PromQL expression reads, from promql-parser's syntax tree (bad syntax raises)."""

from __future__ import annotations

import json
from pathlib import Path

import promql_parser
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERT_RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "iquest-dashboard.json"

_CHILDREN = ("lhs", "rhs", "expr", "param", "vector_selector")


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()
    stack = [promql_parser.parse(expr)]
    while stack:
        node = stack.pop()
        if type(node).__name__ == "VectorSelector":
            names.add(node.name)
            continue
        for attribute in _CHILDREN:
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, str | int | float):
                stack.append(child)
        stack.extend(getattr(node, "args", None) or [])
    return names


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERT_RULES.read_text())["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def referenced_metric_names() -> set[str]:
    exprs = [rule["expr"] for rule in alert_rules()] + dashboard_exprs()
    return set().union(*(metric_names(expr) for expr in exprs))
