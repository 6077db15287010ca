"""Create store_stock: each store's stock-out list.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:50:40.502282
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_stock",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("out_of_stock", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_stock")),
    )


def downgrade() -> None:
    op.drop_table("store_stock")
