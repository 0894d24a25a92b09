"""Add export history, template edits and uploaded logos.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # TODO: the tables of this revision are added with the feature that needs them.
    pass


def downgrade() -> None:
    pass
