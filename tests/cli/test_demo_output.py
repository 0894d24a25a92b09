"""What ``pmr demo`` prints once the report is generated."""

from __future__ import annotations

from typing import Any

import pytest

from cli.demo import _print_result

PROJECT = {"name": "Sample project", "activities": 12}


def report(metrics: dict[str, Any]) -> dict[str, Any]:
    return {"id": "r1", "title": "July report", "key_metrics": metrics, "ai_insights": [{}]}


def test_headline_figures_have_labels(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = {
        "budget_utilization": 0.7812,
        "cost_performance": 0.9471,
        "schedule_performance": 1.1,
        "risk_score": 0.23,
    }

    _print_result("http://host", "t", PROJECT, report(metrics), served=False)
    lines = capsys.readouterr().out.splitlines()

    assert "  Budget used (AC/BAC)         78.1%" in lines
    assert "  Cost performance (CPI)       0.95" in lines
    assert "  Schedule performance (SPI)   1.10" in lines
    assert "  Risk score (0 to 1)          0.23" in lines
    assert not any("budget_utilization" in line for line in lines)


def test_missing_figure_reads_not_available(capsys: pytest.CaptureFixture[str]) -> None:
    _print_result("http://host", "t", PROJECT, report({"cost_performance": None}), served=False)
    lines = capsys.readouterr().out.splitlines()

    assert "  Cost performance (CPI)       not available" in lines
    assert "  Budget used (AC/BAC)         not available" in lines


def test_non_number_figure_prints_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = {"risk_score": "high", "schedule_performance": True, "cost_performance": [1]}

    _print_result("http://host", "t", PROJECT, report(metrics), served=False)
    lines = capsys.readouterr().out.splitlines()

    assert "  Risk score (0 to 1)          high" in lines
    assert "  Schedule performance (SPI)   True" in lines
    assert "  Cost performance (CPI)       [1]" in lines
