"""sink ledger: the receipts of the values pushed to OKR tools, and the parked sinks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sink_receipts",
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("kr_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("window_end", utc(), nullable=False),
        sa.Column("delivered_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("sink", "kr_id", "key", name=op.f("pk_sink_receipts")),
    )
    op.create_table(
        "parked_sinks",
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parked_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("sink", name=op.f("pk_parked_sinks")),
    )


def downgrade() -> None:
    op.drop_table("parked_sinks")
    op.drop_table("sink_receipts")
