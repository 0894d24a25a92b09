"""Add export history, template edits and uploaded logos.

Templates gain their export styling and who last changed them; the built-in ones get the
styling they ship with. The styling is written out here rather than imported, so this
revision stays as it was shipped.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXECUTIVE_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e01")
DETAILED_ID = uuid.UUID("5b0c3a9e-7f41-4d2a-9c1e-2f6d8b4a7e02")
BUILTIN_STYLING = {
    EXECUTIVE_ID: {
        "color_scheme": "corporate_blue",
        "page_size": "A4",
        "orientation": "portrait",
        "font_size_pt": 10,
        "cover": True,
        "table_of_contents": True,
    },
    DETAILED_ID: {
        "color_scheme": "slate",
        "page_size": "A4",
        "orientation": "portrait",
        "font_size_pt": 9,
        "cover": True,
        "table_of_contents": True,
    },
}


class _Json(sa.types.TypeDecorator[Any]):
    """JSON that can also be written as a literal, which ``alembic upgrade --sql`` needs."""

    impl = sa.JSON
    cache_ok = True

    def process_literal_param(self, value: Any, dialect: sa.Dialect) -> str:
        return "'" + json.dumps(value).replace("'", "''") + "'"


def _create_exports() -> None:
    op.create_table(
        "report_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("template_name", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "format IN ('pdf', 'excel', 'slides')", name=op.f("ck_report_exports_format_known")
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_report_exports_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_report_exports_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_exports_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_report_exports_template_id_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_exports")),
    )
    op.create_index(
        op.f("ix_report_exports_report_id_completed_at"),
        "report_exports",
        ["report_id", "completed_at"],
    )


def _create_logos() -> None:
    op.create_table(
        "logos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=320), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg', 'image/svg+xml')",
            name=op.f("ck_logos_type_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logos")),
    )


def _extend_templates() -> None:
    op.add_column(
        "templates",
        sa.Column("styling", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )
    op.add_column("templates", sa.Column("created_by", sa.String(length=320), nullable=True))
    op.add_column(
        "templates", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True)
    )
    templates = sa.table("templates", sa.column("id", sa.Uuid()), sa.column("styling", _Json()))
    for template_id, styling in BUILTIN_STYLING.items():
        op.execute(
            templates.update().where(templates.c.id == template_id).values(styling=styling)
        )


def upgrade() -> None:
    _create_exports()
    _create_logos()
    _extend_templates()


def downgrade() -> None:
    op.drop_column("templates", "updated_at")
    op.drop_column("templates", "created_by")
    op.drop_column("templates", "styling")
    op.drop_table("logos")
    op.drop_index(op.f("ix_report_exports_report_id_completed_at"), table_name="report_exports")
    op.drop_table("report_exports")
