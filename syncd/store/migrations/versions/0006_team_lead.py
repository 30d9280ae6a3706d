"""team lead: owners, check-ins with a confidence, cycles and objective definitions kept

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
    )
    with op.batch_alter_table("objectives") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("definition", sa.Text(), nullable=True))
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.String(length=100), nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.Column("recorded_at", utc(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_results.id"],
            name=op.f("fk_checkins_key_result_id_key_results"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(
        op.f("ix_checkins_key_result_id_recorded_at"),
        "checkins",
        ["key_result_id", "recorded_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_checkins_key_result_id_recorded_at"), table_name="checkins")
    op.drop_table("checkins")
    with op.batch_alter_table("key_results") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("objectives") as batch:
        batch.drop_column("definition")
        batch.drop_column("owner")
    op.drop_table("cycles")
