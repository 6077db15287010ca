"""Consents record the consent text version and the analysis they were given with.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Consents given before this migration were given to an unrecorded text: "unknown".
    op.add_column(
        "consents",
        sa.Column(
            "consent_version", sa.String(length=32), nullable=False, server_default="unknown"
        ),
    )
    op.add_column("consents", sa.Column("analysis_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("analysis_id")
        batch.drop_column("consent_version")
