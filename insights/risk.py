"""Risk insights: the overall risk level and the register's housekeeping."""

from __future__ import annotations

from insights.confidence import data_confidence, maturity, probability_confidence
from insights.facts import ReportFacts
from insights.model import Category, Insight, InsightType, Priority, clamp
from insights.text import money, percent


def risk_score(facts: ReportFacts) -> float:
    """Return the report's risk score in [0, 1].

    With a simulation: the larger of the probabilities of overrunning the budget and of
    finishing late, each taken as 0 where the analysis left it out. Without one: the
    shortfall of the weaker of CPI and SPI(t) below 1, doubled and capped at 1, so an index
    of 0.5 or worse scores 1.
    """
    simulation = facts.simulation
    if simulation is not None:
        late = 1.0 - (
            simulation.probability_on_time if simulation.probability_on_time is not None else 1.0
        )
        within = simulation.probability_within_budget
        return max(1.0 - (within if within is not None else 1.0), late)
    indices = [value for value in (facts.earned_value.cpi, facts.earned_value.spi_t) if value]
    if not indices:
        return 0.0
    return min(max(1.0 - min(indices), 0.0) * 2.0, 1.0)


def risk_insights(facts: ReportFacts) -> list[Insight]:
    """Return the risk level, the exposure forecast, register alerts and the drivers."""
    insights = [_risk_level(facts)]
    insights.extend(_exposure(facts))
    insights.extend(_register_alerts(facts))
    insights.extend(_drivers(facts))
    return insights


def _exposure(facts: ReportFacts) -> list[Insight]:
    risks = facts.risks
    if risks.open_risks == 0 or risks.expected_cost_impact <= 0:
        return []
    bac = facts.earned_value.bac
    share = risks.expected_cost_impact / bac if bac else None
    content = (
        f"The {risks.open_risks} open risks carry an expected cost of "
        f"{money(risks.expected_cost_impact, facts.currency)}"
    )
    content += f", {percent(share)} of the budget." if share is not None else "."
    return [
        Insight(
            insight_type=InsightType.PREDICTION,
            category=Category.RISK,
            title="Expected cost of open risks",
            content=content,
            # Sound when every open risk is quantified; unowned or overdue entries are doubtful.
            confidence_score=data_confidence(
                len(set(risks.without_owner) | set(risks.past_due)), risks.open_risks
            ),
            supporting_data={
                "source": "risk register: probability times the mean of the cost impact",
                "open_risks": risks.open_risks,
                "expected_cost_impact": risks.expected_cost_impact,
                "share_of_budget": share,
            },
            priority=Priority.HIGH if share is not None and share > 0.05 else Priority.MEDIUM,
            predicted_impact=f"{money(risks.expected_cost_impact, facts.currency)} expected",
        )
    ]


def _risk_level(facts: ReportFacts) -> Insight:
    score = risk_score(facts)
    simulation = facts.simulation
    if simulation is not None:
        confidence = probability_confidence(score, simulation.iterations)
    else:
        confidence = clamp(0.5 + 0.5 * maturity(facts.earned_value.percent_complete))
    return Insight(
        insight_type=InsightType.SUMMARY,
        category=Category.RISK,
        title="Overall risk level",
        content=(
            f"The risk score is {score:.2f} on a scale of 0 to 1, "
            + ("from the simulation." if simulation is not None else "from CPI and SPI(t).")
        ),
        confidence_score=confidence,
        supporting_data={
            "source": "Monte Carlo simulation"
            if simulation is not None
            else "performance indices",
            "risk_score": score,
            "open_risks": facts.risks.open_risks,
            "expected_cost_impact": facts.risks.expected_cost_impact,
        },
        priority=Priority.HIGH
        if score > 0.5
        else Priority.MEDIUM
        if score > 0.2
        else Priority.LOW,
    )


def _register_alerts(facts: ReportFacts) -> list[Insight]:
    risks = facts.risks
    if risks.open_risks == 0 or not (risks.without_owner or risks.past_due):
        return []
    flagged = sorted(set(risks.without_owner) | set(risks.past_due))
    alert = Insight(
        insight_type=InsightType.ALERT,
        category=Category.RISK,
        title="Risk register needs attention",
        content=(
            f"{len(risks.without_owner)} open risks have no owner and "
            f"{len(risks.past_due)} are past their response date."
        ),
        confidence_score=data_confidence(0, risks.open_risks),
        supporting_data={
            "source": "risk register",
            "without_owner": list(risks.without_owner),
            "past_due": list(risks.past_due),
        },
        priority=Priority.MEDIUM,
        predicted_impact=f"{len(flagged)} risks unmanaged, expected impact "
        f"{money(risks.expected_cost_impact, facts.currency)}",
    )
    recommendation = Insight(
        insight_type=InsightType.RECOMMENDATION,
        category=Category.RISK,
        title="Bring the risk register up to date",
        content="Give every open risk an owner and a current response date: "
        + ", ".join(flagged[:10])
        + ".",
        confidence_score=alert.confidence_score,
        supporting_data={"alert_id": alert.insight_id, "risks": flagged},
        priority=Priority.MEDIUM,
        recommended_actions=(
            "Assign an owner to every open risk",
            "Review overdue responses at the next risk meeting",
        ),
    )
    return [alert, recommendation]


def _drivers(facts: ReportFacts) -> list[Insight]:
    simulation = facts.simulation
    if simulation is None or not simulation.criticality:
        return []
    top = simulation.criticality[:5]
    return [
        Insight(
            insight_type=InsightType.RECOMMENDATION,
            category=Category.RISK,
            title="Focus on the most critical activities",
            content="These activities were critical most often in the simulation: "
            + "; ".join(f"{item.code} {item.name} ({percent(item.index)})" for item in top)
            + ".",
            confidence_score=probability_confidence(top[0].index, simulation.iterations),
            supporting_data={
                "source": "criticality index from the Monte Carlo simulation",
                "criticality": [
                    {"code": item.code, "name": item.name, "index": item.index} for item in top
                ],
            },
            priority=Priority.MEDIUM,
            recommended_actions=tuple(
                f"Review the duration risk of {item.code}" for item in top[:3]
            ),
        )
    ]
