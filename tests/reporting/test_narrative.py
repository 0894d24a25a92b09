"""Section texts rendered from the figures of the bundled sample project."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from insights import Thresholds, generate_insights
from reporting.compose import _context
from reporting.narrative import render_section
from tests.sample_facts import sample_facts


def summary_with_forecast(shift_days: int) -> str:
    """Render the executive summary with the forecast finish moved from the planned one."""
    facts = sample_facts()
    planned = facts.schedule.planned_finish
    assert planned is not None
    forecast = planned + timedelta(days=shift_days)
    schedule = dataclasses.replace(facts.schedule, forecast_finish=forecast)
    shifted = dataclasses.replace(facts, schedule=schedule)
    context = _context(shifted, generate_insights(shifted), Thresholds())
    return render_section("executive_summary", context)


def test_summary_on_time_says_planned_date() -> None:
    text = summary_with_forecast(0)

    assert "forecasts completion on 14 Nov 2025, the planned finish date." in text
    assert "0 days earlier" not in text


def test_summary_late_gives_days_late() -> None:
    text = summary_with_forecast(12)

    assert "12 days later than the planned" in text


def test_summary_early_gives_days_early() -> None:
    text = summary_with_forecast(-5)

    assert "5 days earlier than the planned" in text
