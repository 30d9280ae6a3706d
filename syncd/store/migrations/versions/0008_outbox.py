"""outbox: events for consumers, their deliveries and cursors; alert states go away

The progress engine now publishes a KR's status changes as events, so the last status alerts
were judged on is the latest ``status_changed`` event of the KR: ``alert_states`` is dropped.
Downgrading recreates it empty (alerts then record every subject's status again, unannounced).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_events_dedupe_key")),
        # Ids are positions: never reused after a prune (SQLite would reuse the highest).
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_outbox_events_subject_type_id"), "outbox_events", ["subject", "type", "id"]
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("lease_until", utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("acked_at", utc(), nullable=True),
        sa.Column("parked_at", utc(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_outbox_deliveries_event_id_outbox_events"),
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_outbox_deliveries")),
    )
    op.create_table(
        "outbox_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_outbox_cursors")),
    )
    op.drop_table("alert_states")


def downgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_alert_states")),
    )
    op.drop_table("outbox_cursors")
    op.drop_table("outbox_deliveries")
    op.drop_index(op.f("ix_outbox_events_subject_type_id"), table_name="outbox_events")
    op.drop_table("outbox_events")
