"""Create the SKU registry: skus and sku_issuances.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:31:15.059849
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "skus",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("formula_hash", sa.String(length=64), nullable=False),
        sa.Column("base_id", sa.String(length=64), nullable=False),
        sa.Column("module_ids", sa.JSON(), nullable=False),
        sa.Column("ph", sa.Float(), nullable=False),
        sa.Column("product_type", sa.String(length=32), nullable=False),
        sa.Column("formula", sa.JSON(), nullable=False),
        sa.Column("catalog_version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_skus")),
        sa.UniqueConstraint("formula_hash", name=op.f("uq_skus_formula_hash")),
    )
    op.create_table(
        "sku_issuances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sku_code", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("analysis_id", sa.String(length=36), nullable=True),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("bottle_ml", sa.Integer(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("fk_sku_issuances_analysis_id_analyses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sku_code"], ["skus.code"], name=op.f("fk_sku_issuances_sku_code_skus")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_sku_issuances_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_issuances")),
    )
    with op.batch_alter_table("sku_issuances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sku_issuances_sku_code"), ["sku_code"], unique=False)
        batch_op.create_index(
            "ix_sku_issuances_user_id_issued_at", ["user_id", "issued_at"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("sku_issuances", schema=None) as batch_op:
        batch_op.drop_index("ix_sku_issuances_user_id_issued_at")
        batch_op.drop_index(batch_op.f("ix_sku_issuances_sku_code"))

    op.drop_table("sku_issuances")
    op.drop_table("skus")
