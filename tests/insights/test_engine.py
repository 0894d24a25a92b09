"""The insight rules on the bundled sample project and on small hand-made figures."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from insights import (
    Category,
    Insight,
    InsightOptions,
    InsightType,
    ResourceFacts,
    ResourceLoad,
    Thresholds,
    category_insights,
    generate_insights,
)
from insights.confidence import overload_confidence, trend_confidence
from insights.loading import spread_by_month
from insights.quality import cpli
from insights.trend import linear_fit
from tests.sample_facts import sample_facts


def by_title(insights: list[Insight], title: str) -> Insight:
    return next(insight for insight in insights if insight.title == title)


@pytest.mark.parametrize(
    ("category", "types"),
    [
        pytest.param(Category.BUDGET, {"prediction", "alert", "recommendation"}, id="budget"),
        pytest.param(Category.SCHEDULE, {"prediction", "alert", "recommendation"}, id="schedule"),
        pytest.param(Category.RESOURCE, {"prediction", "alert", "recommendation"}, id="resource"),
        pytest.param(Category.RISK, {"prediction", "summary"}, id="risk"),
        pytest.param(Category.QUALITY, {"alert", "recommendation", "summary"}, id="quality"),
    ],
)
def test_sample_project_covers_each_category(category: Category, types: set[str]) -> None:
    insights = category_insights(sample_facts(), category)

    assert types <= {insight.insight_type.value for insight in insights}
    assert all(insight.category is category for insight in insights)
    assert all(0 < insight.confidence_score < 1 for insight in insights)
    assert all(insight.supporting_data for insight in insights)


def test_every_recommendation_names_an_alert_that_exists() -> None:
    insights = generate_insights(sample_facts())
    ids = {insight.insight_id for insight in insights}

    tied = [
        insight.supporting_data.get("alert_id")
        for insight in insights
        if insight.insight_type is InsightType.RECOMMENDATION
        and "alert_id" in insight.supporting_data
    ]

    assert tied
    assert set(tied) <= ids


def test_cost_forecast_gives_interval_and_recent_cpi_eac() -> None:
    facts = sample_facts()

    forecast = by_title(category_insights(facts, Category.BUDGET), "Cost at completion forecast")

    data = forecast.supporting_data
    estimates = data["estimate_at_completion"]
    ev = facts.earned_value
    assert data["interval"]["low"] == min(estimates.values())
    assert data["interval"]["high"] == max(estimates.values())
    reported = [(m.ev or 0.0, m.ac or 0.0) for m in ev.monthly if not m.estimated and m.ev]
    recent = (reported[-1][0] - reported[-4][0]) / (reported[-1][1] - reported[-4][1])
    assert estimates["recent_cpi"] == pytest.approx(ev.ac + (ev.bac - ev.ev) / recent)


def test_confidence_follows_the_data_not_a_constant() -> None:
    facts = sample_facts()
    worse = dataclasses.replace(
        facts, earned_value=dataclasses.replace(facts.earned_value, cpi=0.70)
    )

    cpi_alert = by_title(
        category_insights(facts, Category.BUDGET), "Cost performance below target"
    )
    worse_alert = by_title(
        category_insights(worse, Category.BUDGET), "Cost performance below target"
    )

    assert worse_alert.confidence_score > cpi_alert.confidence_score
    assert worse_alert.priority.value == "critical"


def test_linear_fit_is_exact_on_a_line() -> None:
    slope, intercept, r_squared = linear_fit([1.0, 0.98, 0.96, 0.94])

    assert slope == pytest.approx(-0.02)
    assert intercept == pytest.approx(1.0)
    assert r_squared == pytest.approx(1.0)
    assert trend_confidence(1.0, 6) == pytest.approx(6 / 9)


def test_spread_by_month_splits_by_calendar_time() -> None:
    shares = spread_by_month(59.0, datetime(2025, 1, 1), datetime(2025, 3, 1))

    assert shares == {"2025-01": pytest.approx(31.0), "2025-02": pytest.approx(28.0)}


def test_overload_alert_on_hand_made_load() -> None:
    facts = sample_facts()
    crane = ResourceLoad(
        resource_id="R-X",
        name="Tower crane",
        type="nonlabor",
        unit="day",
        assignments=2,
        budgeted_cost=100.0,
        actual_cost=50.0,
        remaining_cost=50.0,
        budgeted_units=40.0,
        actual_units=20.0,
        remaining_units=20.0,
        history_months=3,
        demonstrated_rate=10.0,
        demand=(("2025-08", 20.0), ("2026-06", 90.0)),
    )
    loaded = dataclasses.replace(facts, resources=ResourceFacts(loads=(crane,)))

    alert = by_title(category_insights(loaded, Category.RESOURCE), "Resources over-allocated")
    beyond = category_insights(loaded, Category.RESOURCE, InsightOptions(horizon_months=12))

    assert alert.supporting_data["resources"][0]["month"] == "2025-08"
    assert alert.supporting_data["resources"][0]["ratio"] == 2.0
    assert alert.confidence_score == pytest.approx(overload_confidence(2.0, 1.25, 3))
    assert (
        by_title(beyond, "Resources over-allocated").supporting_data["resources"][0]["month"]
        == "2026-06"
    )


def test_cpli_from_forecast_and_planned_finish() -> None:
    facts = sample_facts()
    schedule = dataclasses.replace(
        facts.schedule,
        data_date=date(2025, 1, 1),
        forecast_finish=date(2025, 1, 21),
        planned_finish=date(2025, 1, 19),
    )

    value = cpli(dataclasses.replace(facts, schedule=schedule))

    assert value == pytest.approx(18 / 20)


def test_thresholds_decide_float_alert() -> None:
    facts = sample_facts()
    lenient = InsightOptions(thresholds=Thresholds(critical_float_days=-1.0))

    strict = category_insights(facts, Category.SCHEDULE)
    relaxed = category_insights(facts, Category.SCHEDULE, lenient)

    assert any(i.title.startswith("Float on the critical path") for i in strict)
    assert not any(i.title.startswith("Float on the critical path") for i in relaxed)


def test_focus_puts_category_first() -> None:
    ranked = generate_insights(sample_facts(), options=InsightOptions(focus=(Category.QUALITY,)))

    assert ranked[0].category is Category.QUALITY
