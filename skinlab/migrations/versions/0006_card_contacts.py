"""Create card_contacts: card offers logged through skinlab (cool-down before the next export).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("logged_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_contacts")),
    )
    op.create_index(op.f("ix_card_contacts_user_id"), "card_contacts", ["user_id"])
    op.create_index(op.f("ix_card_contacts_contacted_at"), "card_contacts", ["contacted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_card_contacts_contacted_at"), table_name="card_contacts")
    op.drop_index(op.f("ix_card_contacts_user_id"), table_name="card_contacts")
    op.drop_table("card_contacts")
