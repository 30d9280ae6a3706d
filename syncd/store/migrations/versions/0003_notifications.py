"""notifications: alert states and claimed deliveries of alerts and digests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_alert_states")),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", utc(), nullable=False),
        sa.Column("lease_until", utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", utc(), nullable=True),
        sa.Column("given_up_at", utc(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", "channel", name=op.f("pk_notification_deliveries")),
    )
    op.create_index(
        op.f("ix_notification_deliveries_team_kind_sent_at"),
        "notification_deliveries",
        ["team", "kind", "sent_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notification_deliveries_team_kind_sent_at"), table_name="notification_deliveries"
    )
    op.drop_table("notification_deliveries")
    op.drop_table("alert_states")
