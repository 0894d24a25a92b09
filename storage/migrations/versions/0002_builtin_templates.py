"""Seed the built-in report templates "executive" and "detailed".

The ids are fixed so that code and clients can refer to the built-in templates; they equal
EXECUTIVE_TEMPLATE_ID and DETAILED_TEMPLATE_ID in storage/repositories/templates.py. The
content is written out here rather than imported, so this revision stays as it was shipped.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXECUTIVE_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e01")
DETAILED_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e02")
EXPORT_FORMATS = ["pdf", "slides", "excel"]


def _section(
    section_id: str, title: str, content_type: str, focus_areas: list[str], predictions: bool
) -> dict[str, Any]:
    return {
        "section_id": section_id,
        "title": title,
        "ai_suggestions": {
            "content_type": content_type,
            "include_predictions": predictions,
            "focus_areas": focus_areas,
        },
    }


EXECUTIVE_SUMMARY = _section(
    "executive_summary",
    "Executive Summary",
    "natural_language_summary",
    ["budget", "schedule", "risks"],
    True,
)
BUDGET_ANALYSIS = _section(
    "budget_analysis",
    "Budget Analysis",
    "cost_performance",
    ["cost_variance", "cost_performance_index", "estimate_at_completion"],
    True,
)
SCHEDULE_ANALYSIS = _section(
    "schedule_analysis",
    "Schedule Analysis",
    "schedule_performance",
    ["schedule_variance", "schedule_performance_index", "critical_path", "milestones"],
    True,
)
RISK_ASSESSMENT = _section(
    "risk_assessment",
    "Risk Assessment",
    "risk_analysis",
    ["monte_carlo", "risk_register", "mitigation"],
    True,
)
EARNED_VALUE_DETAIL = _section(
    "earned_value_detail",
    "Earned Value and Earned Schedule",
    "metrics_table",
    ["planned_value", "earned_value", "actual_cost", "earned_schedule", "to_complete_index"],
    True,
)
CRITICAL_PATH = _section(
    "critical_path",
    "Critical Path and Float",
    "activity_analysis",
    ["critical_activities", "near_critical_activities", "float_erosion"],
    False,
)
INSIGHTS = _section(
    "insights",
    "Insights and Recommendations",
    "recommendations",
    ["trends", "anomalies", "recommended_actions"],
    True,
)


class _Json(sa.types.TypeDecorator[Any]):
    """JSON that can also be written as a literal, which ``alembic upgrade --sql`` needs."""

    impl = sa.JSON
    cache_ok = True

    def process_literal_param(self, value: Any, dialect: sa.Dialect) -> str:
        return "'" + json.dumps(value).replace("'", "''") + "'"


def _templates_table() -> sa.TableClause:
    return sa.table(
        "templates",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.Text()),
        sa.column("description", sa.Text()),
        sa.column("template_type", sa.String(64)),
        sa.column("industry_focus", sa.String(64)),
        sa.column("sections", _Json()),
        sa.column("export_formats", _Json()),
        sa.column("usage_count", sa.Integer()),
        sa.column("rating", sa.Double()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )


def upgrade() -> None:
    # A fixed creation time keeps the seeded rows identical on every installation.
    created_at = datetime(2024, 1, 1, tzinfo=UTC)
    common = {
        "industry_focus": "general",
        "export_formats": EXPORT_FORMATS,
        "usage_count": 0,
        "rating": None,
        "created_at": created_at,
    }
    op.bulk_insert(
        _templates_table(),
        [
            {
                "id": EXECUTIVE_ID,
                "name": "Executive Dashboard",
                "description": "A short overview for sponsors: headline cost and schedule "
                "performance, forecasts and the main risks.",
                "template_type": "executive",
                "sections": [
                    EXECUTIVE_SUMMARY,
                    BUDGET_ANALYSIS,
                    SCHEDULE_ANALYSIS,
                    RISK_ASSESSMENT,
                ],
                **common,
            },
            {
                "id": DETAILED_ID,
                "name": "Detailed Monthly Report",
                "description": "The full monthly report for project controls: every earned "
                "value and earned schedule metric, the critical path, the risk analysis and "
                "recommendations.",
                "template_type": "detailed",
                "sections": [
                    EXECUTIVE_SUMMARY,
                    BUDGET_ANALYSIS,
                    SCHEDULE_ANALYSIS,
                    EARNED_VALUE_DETAIL,
                    CRITICAL_PATH,
                    RISK_ASSESSMENT,
                    INSIGHTS,
                ],
                **common,
            },
        ],
    )


def downgrade() -> None:
    templates = _templates_table()
    op.execute(templates.delete().where(templates.c.id.in_([EXECUTIVE_ID, DETAILED_ID])))
