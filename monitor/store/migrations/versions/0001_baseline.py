"""Baseline: the schema as databases had it before migrations, minus sweep.new_candidates.

Databases made by `create_all` before 0002 existed match this revision; `monitor.store.migrations`
stamps them so and upgrades them from here.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notify_urls", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "image_digest",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("first_fetched", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "source_outage",
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("first_failed_sweep", sa.Integer(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("failure_alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_targets", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "sweep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("new_sightings", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sweep_source"), "sweep", ["source"])

    op.create_table(
        "url_state",
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("images", sa.JSON(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("fingerprint_digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_item_client_id"), "item", ["client_id"])
    op.create_index(op.f("ix_item_fingerprint_digest"), "item", ["fingerprint_digest"])
    op.create_index(op.f("ix_item_sha256"), "item", ["sha256"])

    op.create_table(
        "item_hash",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("hex", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_item_hash_client_id"), "item_hash", ["client_id"])
    op.create_index(op.f("ix_item_hash_item_id"), "item_hash", ["item_id"])

    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("image_url", sa.String(), nullable=False),
        sa.Column("page_url", sa.String(), nullable=False),
        sa.Column("final_url", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("takedown_url", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "item_id", "image_url"),
    )
    op.create_index(op.f("ix_sighting_client_id"), "sighting", ["client_id"])
    op.create_index(op.f("ix_sighting_first_seen"), "sighting", ["first_seen"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_targets", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sighting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sighting_id"),
    )
    op.create_index(op.f("ix_outbox_client_id"), "outbox", ["client_id"])
    op.create_index("ix_outbox_pending", "outbox", ["delivered_at", "next_attempt_at"])

    op.create_table(
        "sighting_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("reported_to", sa.String(length=500), nullable=True),
        sa.Column("route", sa.String(length=200), nullable=True),
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
    op.create_index(op.f("ix_sighting_event_client_id"), "sighting_event", ["client_id"])
    op.create_index(op.f("ix_sighting_event_sighting_id"), "sighting_event", ["sighting_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sighting_event_sighting_id"), table_name="sighting_event")
    op.drop_index(op.f("ix_sighting_event_client_id"), table_name="sighting_event")

    op.drop_table("sighting_event")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index(op.f("ix_outbox_client_id"), table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_sighting_first_seen"), table_name="sighting")
    op.drop_index(op.f("ix_sighting_client_id"), table_name="sighting")

    op.drop_table("sighting")
    op.drop_index(op.f("ix_item_hash_item_id"), table_name="item_hash")
    op.drop_index(op.f("ix_item_hash_client_id"), table_name="item_hash")

    op.drop_table("item_hash")
    op.drop_index(op.f("ix_item_sha256"), table_name="item")
    op.drop_index(op.f("ix_item_fingerprint_digest"), table_name="item")
    op.drop_index(op.f("ix_item_client_id"), table_name="item")

    op.drop_table("item")
    op.drop_table("url_state")
    op.drop_index(op.f("ix_sweep_source"), table_name="sweep")

    op.drop_table("sweep")
    op.drop_table("source_state")
    op.drop_table("source_outage")
    op.drop_table("image_digest")
    op.drop_table("client")
