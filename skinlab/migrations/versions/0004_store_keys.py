"""Create store_keys: hashed keys for the BA page sign-in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:05:01.123501
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_keys")),
    )
    with op.batch_alter_table("store_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_keys_store_id"), ["store_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("store_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_keys_store_id"))

    op.drop_table("store_keys")
