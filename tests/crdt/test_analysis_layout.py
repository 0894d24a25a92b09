"""The fields of the metrics and Monte Carlo blocks that exports and insights read."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from crdt.analysis_layout import block_problem

NULLS_GENERATION_WRITES: dict[str, tuple[str, dict[str, Any]]] = {
    "key metric": ("metrics", {"key_metrics": {"cost_performance": None}}),
    "earned value": ("metrics", {"earned_value": None}),
    "plan start": ("metrics", {"earned_value": {"plan_start": None}}),
    "bin edge": (
        "monte_carlo",
        {"analysis": {"cost": {"histogram": [{"lower": None, "upper": None, "count": 3}]}}},
    ),
    "finish date": ("monte_carlo", {"analysis": {"schedule_completion": {"p50": None}}}),
    "whole analysis": ("monte_carlo", {"analysis": None}),
}


@pytest.mark.parametrize(
    ("name", "values"), NULLS_GENERATION_WRITES.values(), ids=NULLS_GENERATION_WRITES.keys()
)
def test_nulls_from_generation_pass(name: str, values: dict[str, Any]) -> None:
    assert block_problem(name, values) is None


def test_unread_fields_pass() -> None:
    values = {"note": "any value", "key_metrics": {}, "earned_value": {"currency": 3}}

    assert block_problem("metrics", values) is None
    assert block_problem("insights", {"analysis": "junk"}) is None


BROKEN: dict[str, tuple[str, dict[str, Any], str]] = {
    "key metric as text": (
        "metrics",
        {"key_metrics": {"cost_performance": "high"}},
        "metrics key_metrics.cost_performance must be a finite number or null, got 'high'",
    ),
    "key metric as NaN": (
        "metrics",
        {"key_metrics": {"risk_score": math.nan}},
        "metrics key_metrics.risk_score must be a finite number or null, got nan",
    ),
    "key metric as a flag": (
        "metrics",
        {"key_metrics": {"risk_score": True}},
        "metrics key_metrics.risk_score must be a finite number",
    ),
    "forecasts as a list": (
        "metrics",
        {"earned_value": {"metrics": {"forecasts": [1]}}},
        "metrics earned_value.metrics.forecasts must be an object, got a list",
    ),
    "forecast as a number": (
        "metrics",
        {"earned_value": {"metrics": {"forecasts": {"cpi": 3}}}},
        "metrics earned_value.metrics.forecasts.cpi must be an object, got 3",
    ),
    "month missing": (
        "metrics",
        {"earned_value": {"monthly": [{"planned_value": 1.0}]}},
        r"metrics earned_value.monthly\[0\] is missing the field 'month'",
    ),
    "month unparsable": (
        "metrics",
        {"earned_value": {"monthly": [{"month": "March"}]}},
        r"metrics earned_value.monthly\[0\].month must be a month as YYYY-MM as text",
    ),
    "plan start unparsable": (
        "metrics",
        {"earned_value": {"plan_start": "soon"}},
        "metrics earned_value.plan_start must be an ISO 8601 time as text, got 'soon'",
    ),
    "iterations as null": (
        "monte_carlo",
        {"analysis": {"iterations": None}},
        "monte_carlo analysis.iterations must be a finite number, got None",
    ),
    "percentile as infinity": (
        "monte_carlo",
        {"analysis": {"cost": {"percentiles": {"p80": math.inf}}}},
        "monte_carlo analysis.cost.percentiles.p80 must be a finite number or null, got inf",
    ),
    "finish dates as a list": (
        "monte_carlo",
        {"analysis": {"schedule_completion": ["2025-12-19"]}},
        "monte_carlo analysis.schedule_completion must be an object, got a list",
    ),
    "finish date empty": (
        "monte_carlo",
        {"analysis": {"schedule_completion": {"p50": ""}}},
        "monte_carlo analysis.schedule_completion.p50 must be an ISO 8601 date as text",
    ),
    "curve point as text": (
        "monte_carlo",
        {"analysis": {"schedule": {"s_curve": ["2025-12-19"]}}},
        r"monte_carlo analysis.schedule.s_curve\[0\] must be an object",
    ),
    "criticality without code": (
        "monte_carlo",
        {"analysis": {"criticality": [{"name": "Deck", "index": 1}]}},
        r"monte_carlo analysis.criticality\[0\] is missing the field 'code'",
    ),
    "criticality index as text": (
        "monte_carlo",
        {"analysis": {"criticality_index": {"A1": "high"}}},
        "monte_carlo analysis.criticality_index.A1 must be a finite number, got 'high'",
    ),
    "driver as text": (
        "monte_carlo",
        {"analysis": {"sensitivity": {"finish": ["R01"]}}},
        r"monte_carlo analysis.sensitivity.finish\[0\] must be an object",
    ),
}


@pytest.mark.parametrize(("name", "values", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_wrong_types_are_described(name: str, values: dict[str, Any], message: str) -> None:
    problem = block_problem(name, values)

    assert problem is not None
    assert re.match(message, problem), problem
