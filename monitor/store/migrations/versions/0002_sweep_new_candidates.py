"""sweep.new_candidates: candidates never looked at before, per sweep (0 for older sweeps).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep") as batch_op:
        batch_op.add_column(
            sa.Column("new_candidates", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("sweep") as batch_op:
        batch_op.drop_column("new_candidates")
