"""Scan owners: the process running a scan ("host:pid") and when it last stored a batch,
so that a later scan can mark one whose process is gone `interrupted` (11 characters:
the status column is widened on PostgreSQL; SQLite does not enforce lengths).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scans", sa.Column("owner", sa.String(), nullable=True))
    op.add_column("scans", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.alter_column("scans", "status", type_=sa.String(16),
                        existing_type=sa.String(10), existing_nullable=False)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("UPDATE scans SET status = 'failed' WHERE status = 'interrupted'")
        op.alter_column("scans", "status", type_=sa.String(10),
                        existing_type=sa.String(16), existing_nullable=False)
    op.drop_column("scans", "heartbeat_at")
    op.drop_column("scans", "owner")
