"""shared quota: one window of call starts per vendor account, for every instance on a store

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The same table on both backends (the models say so); only PostgreSQL stores use it.
    op.create_table(
        "quota_windows",
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column(
            "starts",
            postgresql.ARRAY(sa.Double()).with_variant(sa.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_quota_windows")),
    )


def downgrade() -> None:
    op.drop_table("quota_windows")
