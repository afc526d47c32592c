"""Evidence and follow-through (evidence log, re-checks, suppressions, takedowns, captures) and
dashboard accounts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("session_generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_client",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "client_id"),
    )
    op.create_table(
        "capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(), nullable=True),
        sa.Column("plaintext_sha256", sa.String(length=64), nullable=True),
        sa.Column("encrypted_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_capture_client_id"), "capture", ["client_id"], unique=False)
    op.create_index(op.f("ix_capture_sighting_id"), "capture", ["sighting_id"], unique=False)
    op.create_table(
        "evidence_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("prev_sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "seq"),
    )
    op.create_index(
        op.f("ix_evidence_entry_client_id"), "evidence_entry", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_entry_sighting_id"), "evidence_entry", ["sighting_id"], unique=False
    )
    op.create_table(
        "sighting_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("image_status", sa.Integer(), nullable=True),
        sa.Column("page_status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_sighting_check_client_id"), "sighting_check", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_sighting_check_sighting_id"), "sighting_check", ["sighting_id"], unique=False
    )
    op.create_table(
        "sighting_follow_up",
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("absent_in_a_row", sa.Integer(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reappeared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("sighting_id"),
    )
    op.create_index(
        op.f("ix_sighting_follow_up_client_id"), "sighting_follow_up", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_sighting_follow_up_next_check_at"),
        "sighting_follow_up",
        ["next_check_at"],
        unique=False,
    )
    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("hashes", sa.JSON(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_suppression_client_id"), "suppression", ["client_id"], unique=False)
    op.create_index(op.f("ix_suppression_sha256"), "suppression", ["sha256"], unique=False)
    op.create_index(
        op.f("ix_suppression_sighting_id"), "suppression", ["sighting_id"], unique=False
    )
    op.create_table(
        "takedown",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=1000), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.String(), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_takedown_client_id"), "takedown", ["client_id"], unique=False)
    op.create_index(op.f("ix_takedown_sighting_id"), "takedown", ["sighting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_takedown_sighting_id"), table_name="takedown")
    op.drop_index(op.f("ix_takedown_client_id"), table_name="takedown")
    op.drop_table("takedown")
    op.drop_index(op.f("ix_suppression_sighting_id"), table_name="suppression")
    op.drop_index(op.f("ix_suppression_sha256"), table_name="suppression")
    op.drop_index(op.f("ix_suppression_client_id"), table_name="suppression")
    op.drop_table("suppression")
    op.drop_index(op.f("ix_sighting_follow_up_next_check_at"), table_name="sighting_follow_up")
    op.drop_index(op.f("ix_sighting_follow_up_client_id"), table_name="sighting_follow_up")
    op.drop_table("sighting_follow_up")
    op.drop_index(op.f("ix_sighting_check_sighting_id"), table_name="sighting_check")
    op.drop_index(op.f("ix_sighting_check_client_id"), table_name="sighting_check")
    op.drop_table("sighting_check")
    op.drop_index(op.f("ix_evidence_entry_sighting_id"), table_name="evidence_entry")
    op.drop_index(op.f("ix_evidence_entry_client_id"), table_name="evidence_entry")
    op.drop_table("evidence_entry")
    op.drop_index(op.f("ix_capture_sighting_id"), table_name="capture")
    op.drop_index(op.f("ix_capture_client_id"), table_name="capture")
    op.drop_table("capture")
    op.drop_table("staff_client")
    op.drop_table("staff_user")
