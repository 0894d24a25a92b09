"""Assembling a report's document content from its facts and insights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from insights import Category, Insight, InsightType, ReportFacts, Thresholds, risk_score
from reporting.narrative import has_narrative, render_section

SECTION_TITLES = {
    "executive_summary": "Executive Summary",
    "budget_analysis": "Budget Analysis",
    "schedule_analysis": "Schedule Analysis",
    "risk_assessment": "Risk Assessment",
    "earned_value_detail": "Earned Value and Earned Schedule",
    "critical_path": "Critical Path and Float",
    "insights": "Insights and Recommendations",
    "quality_review": "Schedule Quality Review",
}


@dataclass(frozen=True, slots=True)
class ReportHeader:
    report_id: str
    project_id: str
    title: str
    description: str | None
    report_month: str
    template_id: str | None
    generated_at: datetime


def status_word(value: float | None, thresholds: Thresholds) -> str:
    if value is None:
        return "not measurable"
    if value >= thresholds.index_green:
        return "on target"
    if value >= thresholds.index_red:
        return "slightly below target"
    return "well below target"


def key_metrics(facts: ReportFacts) -> dict[str, float | None]:
    """The four headline figures: AC/BAC, CPI, SPI and the risk score."""
    ev = facts.earned_value
    return {
        "budget_utilization": _rounded(ev.budget_utilization),
        "cost_performance": _rounded(ev.cpi),
        "schedule_performance": _rounded(ev.spi),
        "risk_score": _rounded(risk_score(facts)),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _confidence(insights: Sequence[Insight], *categories: Category) -> float | None:
    scores = [
        insight.confidence_score
        for insight in insights
        if insight.category in categories and insight.insight_type is InsightType.PREDICTION
    ]
    return round(fmean(scores), 4) if scores else None


def _context(
    facts: ReportFacts, insights: Sequence[Insight], thresholds: Thresholds
) -> dict[str, Any]:
    ev = facts.earned_value
    return {
        "project": facts.project_name,
        "currency": facts.currency,
        "data_date": facts.schedule.data_date,
        "ev": ev,
        "schedule": facts.schedule,
        "simulation": facts.simulation,
        "risks": facts.risks,
        "warnings": facts.quality_warnings,
        "percent_complete": ev.percent_complete or 0.0,
        "percent_planned": ev.pv / ev.bac if ev.bac else 0.0,
        "budget_utilization": ev.budget_utilization or 0.0,
        "cost_status": status_word(ev.cpi, thresholds),
        "schedule_status": status_word(ev.spi_t, thresholds),
        "risk_score": risk_score(facts),
        "top_insights": [i for i in insights if i.insight_type is not InsightType.SUMMARY][:3],
        "all_insights": list(insights),
    }


def _section_metrics(section_id: str, facts: ReportFacts) -> dict[str, float | None]:
    ev = facts.earned_value
    if section_id == "executive_summary":
        return key_metrics(facts)
    if section_id == "budget_analysis":
        return {
            "bac": ev.bac,
            "pv": ev.pv,
            "ev": ev.ev,
            "ac": ev.ac,
            "cv": ev.cv,
            "cpi": _rounded(ev.cpi),
            "eac_cpi": ev.eac.get("cpi"),
            "tcpi_to_bac": _rounded(ev.tcpi_to_bac),
        }
    if section_id == "schedule_analysis":
        return {
            "spi": _rounded(ev.spi),
            "spi_t": _rounded(ev.spi_t),
            "sv_t_months": _rounded(ev.sv_t_months),
            "finish_variance_days": facts.schedule.finish_variance_days,
        }
    if section_id == "risk_assessment":
        return {"risk_score": _rounded(risk_score(facts))}
    return {}


_SECTION_CATEGORIES = {
    "executive_summary": (Category.BUDGET, Category.SCHEDULE),
    "budget_analysis": (Category.BUDGET,),
    "schedule_analysis": (Category.SCHEDULE,),
    "risk_assessment": (Category.RISK, Category.BUDGET, Category.SCHEDULE),
}


def _title(section_id: str, titles: Mapping[str, str]) -> str:
    if section_id in titles:
        return titles[section_id]
    return SECTION_TITLES.get(section_id, section_id.replace("_", " ").title())


def compose_report(
    header: ReportHeader,
    facts: ReportFacts,
    *,
    section_ids: Sequence[str],
    insights: Sequence[Insight],
    monte_carlo: dict[str, Any] | None,
    earned_value: dict[str, Any],
    thresholds: Thresholds | None = None,
    titles: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the content the report actor writes: meta, sections, insights, results.

    ``titles`` overrides the default section titles, for example with a template's own.
    """
    limits = thresholds or Thresholds()
    context = _context(facts, insights, limits)
    sections = []
    for order, section_id in enumerate(dict.fromkeys(section_ids)):
        generated = has_narrative(section_id)
        body = render_section(section_id, context) if generated else ""
        sections.append(
            {
                "section_id": section_id,
                "title": _title(section_id, titles or {}),
                "body": body,
                "order": order,
                "metrics": _section_metrics(section_id, facts),
                "ai_generated": generated,
                "confidence_score": _confidence(
                    insights, *_SECTION_CATEGORIES.get(section_id, ())
                ),
            }
        )
    generated_at = header.generated_at.isoformat(timespec="seconds")
    return {
        "meta": {
            "report_id": header.report_id,
            "project_id": header.project_id,
            "title": header.title,
            "description": header.description or "",
            "report_month": header.report_month,
            "template_id": header.template_id or "",
            "status": "completed",
            "generated_at": generated_at,
        },
        "sections": sections,
        "insights": [insight.to_dict() for insight in insights],
        "monte_carlo": monte_carlo,
        "metrics": {"key_metrics": key_metrics(facts), "earned_value": earned_value},
    }
