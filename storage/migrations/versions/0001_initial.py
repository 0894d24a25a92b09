"""Create the initial schema: schedules, reports and their update logs, jobs, users, templates.

Revision ID: 0001
Revises:
Created: 2026-12-04 15:55:43.884970
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template_type", sa.String(length=64), nullable=False),
        sa.Column("industry_focus", sa.String(length=64), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("export_formats", sa.JSON(), nullable=False),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'project_manager', 'editor', 'viewer')",
            name=op.f("ck_users_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("data_date", sa.DateTime(), nullable=False),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("source_filename", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.DateTime(), nullable=True),
        sa.Column("planned_finish", sa.DateTime(), nullable=True),
        sa.Column("default_calendar_id", sa.String(length=200), nullable=True),
        sa.Column("budget_at_completion", sa.Double(), nullable=False),
        sa.Column("actual_cost", sa.Double(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("wbs_id", sa.String(length=200), nullable=True),
        sa.Column("calendar_id", sa.String(length=200), nullable=True),
        sa.Column("percent_complete_type", sa.String(length=32), nullable=False),
        sa.Column("percent_complete", sa.Double(), nullable=False),
        sa.Column("original_duration_hours", sa.Double(), nullable=False),
        sa.Column("remaining_duration_hours", sa.Double(), nullable=False),
        sa.Column("planned_start", sa.DateTime(), nullable=True),
        sa.Column("planned_finish", sa.DateTime(), nullable=True),
        sa.Column("early_start", sa.DateTime(), nullable=True),
        sa.Column("early_finish", sa.DateTime(), nullable=True),
        sa.Column("late_start", sa.DateTime(), nullable=True),
        sa.Column("late_finish", sa.DateTime(), nullable=True),
        sa.Column("actual_start", sa.DateTime(), nullable=True),
        sa.Column("actual_finish", sa.DateTime(), nullable=True),
        sa.Column("baseline_start", sa.DateTime(), nullable=True),
        sa.Column("baseline_finish", sa.DateTime(), nullable=True),
        sa.Column("total_float_hours", sa.Double(), nullable=True),
        sa.Column("free_float_hours", sa.Double(), nullable=True),
        sa.Column("constraint_type", sa.String(length=64), nullable=True),
        sa.Column("constraint_date", sa.DateTime(), nullable=True),
        sa.Column("budgeted_cost", sa.Double(), nullable=False),
        sa.Column("actual_cost", sa.Double(), nullable=False),
        sa.Column("remaining_cost", sa.Double(), nullable=False),
        sa.Column("budgeted_units", sa.Double(), nullable=False),
        sa.Column("actual_units", sa.Double(), nullable=False),
        sa.Column("remaining_units", sa.Double(), nullable=False),
        sa.Column("duration_estimate", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("cost_estimate", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activities_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "project_id", "source_id", name=op.f("uq_activities_project_id_source_id")
        ),
    )
    op.create_table(
        "calendars",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hours_per_day", sa.Double(), nullable=False),
        sa.Column("hours_per_week", sa.Double(), nullable=False),
        sa.Column("week", sa.JSON(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_calendars_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
        sa.UniqueConstraint(
            "project_id", "source_id", name=op.f("uq_calendars_project_id_source_id")
        ),
    )
    op.create_table(
        "monthly_actuals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("actual_cost", sa.Double(), nullable=False),
        sa.Column("earned_value", sa.Double(), nullable=True),
        sa.Column("planned_value", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_monthly_actuals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_actuals")),
        sa.UniqueConstraint(
            "project_id", "month", name=op.f("uq_monthly_actuals_project_id_month")
        ),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("report_month", sa.String(length=7), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "report_month LIKE '____-__'", name=op.f("ck_reports_report_month_format")
        ),
        sa.CheckConstraint(
            "status IN ('generating', 'completed', 'failed')", name=op.f("ck_reports_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_reports_template_id_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index(
        op.f("ix_reports_project_id_created_at"),
        "reports",
        ["project_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("calendar_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_resources_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint(
            "project_id", "source_id", name=op.f("uq_resources_project_id_source_id")
        ),
    )
    op.create_table(
        "risks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_impact_hours", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("cost_impact", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("affected_activity_ids", sa.JSON(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_risks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
        sa.UniqueConstraint("project_id", "source_id", name=op.f("uq_risks_project_id_source_id")),
    )
    op.create_table(
        "wbs_nodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_wbs_nodes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wbs_nodes")),
        sa.UniqueConstraint(
            "project_id", "source_id", name=op.f("uq_wbs_nodes_project_id_source_id")
        ),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("activity_id", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=True),
        sa.Column("budgeted_cost", sa.Double(), nullable=False),
        sa.Column("actual_cost", sa.Double(), nullable=False),
        sa.Column("remaining_cost", sa.Double(), nullable=False),
        sa.Column("budgeted_units", sa.Double(), nullable=False),
        sa.Column("actual_units", sa.Double(), nullable=False),
        sa.Column("remaining_units", sa.Double(), nullable=False),
        sa.Column("planned_start", sa.DateTime(), nullable=True),
        sa.Column("planned_finish", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id", "activity_id"],
            ["activities.project_id", "activities.source_id"],
            name=op.f("fk_assignments_project_id_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_assignments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "project_id", "source_id", name=op.f("uq_assignments_project_id_source_id")
        ),
    )
    op.create_index(
        op.f("ix_assignments_project_id_activity_id"),
        "assignments",
        ["project_id", "activity_id"],
        unique=False,
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_jobs_status_known"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress_fraction")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_jobs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_jobs_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_project_id"), "jobs", ["project_id"], unique=False)
    op.create_index(op.f("ix_jobs_report_id"), "jobs", ["report_id"], unique=False)
    op.create_table(
        "relationships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.String(length=200), nullable=False),
        sa.Column("successor_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=2), nullable=False),
        sa.Column("lag_hours", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id", "predecessor_id"],
            ["activities.project_id", "activities.source_id"],
            name=op.f("fk_relationships_project_id_predecessor_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id", "successor_id"],
            ["activities.project_id", "activities.source_id"],
            name=op.f("fk_relationships_project_id_successor_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_relationships_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relationships")),
    )
    op.create_index(
        op.f("ix_relationships_project_id_predecessor_id"),
        "relationships",
        ["project_id", "predecessor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_relationships_project_id_successor_id"),
        "relationships",
        ["project_id", "successor_id"],
        unique=False,
    )
    op.create_table(
        "report_snapshots",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_snapshots_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_snapshots")),
    )
    op.create_table(
        "report_updates",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_updates_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "seq", name=op.f("pk_report_updates")),
    )


def downgrade() -> None:
    op.drop_table("report_updates")
    op.drop_table("report_snapshots")
    op.drop_index(op.f("ix_relationships_project_id_successor_id"), table_name="relationships")
    op.drop_index(op.f("ix_relationships_project_id_predecessor_id"), table_name="relationships")
    op.drop_table("relationships")
    op.drop_index(op.f("ix_jobs_report_id"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_project_id"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_assignments_project_id_activity_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("wbs_nodes")
    op.drop_table("risks")
    op.drop_table("resources")
    op.drop_index(op.f("ix_reports_project_id_created_at"), table_name="reports")
    op.drop_table("reports")
    op.drop_table("monthly_actuals")
    op.drop_table("calendars")
    op.drop_table("activities")
    op.drop_table("projects")
    op.drop_table("users")
    op.drop_table("templates")
