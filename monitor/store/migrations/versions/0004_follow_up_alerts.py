"""Follow-up alerts: one owed alert per machine-made status change (verified removed, back).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_targets", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["sighting_event.id"]),
        sa.ForeignKeyConstraint(["sighting_id"], ["sighting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        op.f("ix_follow_up_alert_client_id"), "follow_up_alert", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_follow_up_alert_sighting_id"), "follow_up_alert", ["sighting_id"], unique=False
    )
    op.create_index(
        "ix_follow_up_alert_pending",
        "follow_up_alert",
        ["delivered_at", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_follow_up_alert_pending", table_name="follow_up_alert")
    op.drop_index(op.f("ix_follow_up_alert_sighting_id"), table_name="follow_up_alert")
    op.drop_index(op.f("ix_follow_up_alert_client_id"), table_name="follow_up_alert")
    op.drop_table("follow_up_alert")
