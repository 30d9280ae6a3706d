"""job claims: which instance runs a job's slot, with a lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_claims",
        sa.Column("job", sa.String(length=200), nullable=False),
        sa.Column("slot", utc(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", utc(), nullable=False),
        sa.Column("lease_until", utc(), nullable=False),
        sa.Column("finished_at", utc(), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_job_claims")),
    )


def downgrade() -> None:
    op.drop_table("job_claims")
