"""slot retries and run owners: a failed claim is tried again; a run names its process

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:00:00
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
    op.add_column(
        "job_claims", sa.Column("attempts", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("job_claims", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    # Slots that failed before this revision were never retried: they are due now.
    op.execute("UPDATE job_claims SET retry_at = finished_at WHERE outcome = 'failed'")
    op.add_column("sync_runs", sa.Column("owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("job_claims") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
