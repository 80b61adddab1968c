"""The Prometheus alert rules and the Grafana dashboard in deploy/ are well formed.

That every metric they name is one the receiver and a worker really export is checked
end to end in tests/workers/operations/test_metrics.py, after a real job.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.support.promql import (
    DASHBOARD,
    alert_rules,
    dashboard_exprs,
    metric_names,
    referenced_metric_names,
)
from workers.jobrunner import JobOutcome


def test_every_alert_has_an_expression_a_severity_and_an_explanation() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert metric_names(rule["expr"]), rule["alert"]
    # The three the operators asked for: a stuck queue, failing jobs, a spent rate limit.
    exprs = " ".join(rule["expr"] for rule in rules)
    for metric in ("iquest_queue_oldest_job_age_seconds", "iquest_jobs_total",
                   "iquest_github_rate_limit_remaining"):
        assert metric in exprs


def test_dashboard_panels_parse_and_do_not_overlap() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    cells = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))
    for expr in dashboard_exprs():
        assert metric_names(expr)


def test_bad_promql_is_caught() -> None:
    with pytest.raises(ValueError):
        metric_names("sum(rate(iquest_jobs_total[5m])")
    assert metric_names("a_total / on (x) group_left b") == {"a_total", "b"}
    assert "iquest_queue_depth" in referenced_metric_names()


def test_the_job_failure_rate_counts_only_finished_jobs_and_real_outcomes() -> None:
    # After these the job's message runs again: the run is not a finished job.
    runs_again = {JobOutcome.RETRYING, JobOutcome.WAITING, JobOutcome.INTERRUPTED}
    rates = [rule["expr"] for rule in alert_rules() if rule["alert"] == "IquestJobFailureRate"]
    rates += [expr for expr in dashboard_exprs() if 'outcome!~' in expr and "iquest_jobs_total" in expr]
    assert len(rates) == 2
    for expr in rates:
        (excluded,) = re.findall(r'outcome!~"([^"]+)"', expr)
        assert set(excluded.split("|")) == {outcome.value for outcome in runs_again}, expr
        (failed,) = re.findall(r'outcome=~"([^"]+)"', expr)
        assert set(failed.split("|")) <= {outcome.value for outcome in JobOutcome}, expr
