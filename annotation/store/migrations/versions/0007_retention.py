"""Retention and erasure: when and why an ad's text was redacted, and who closed a case.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of `ads` would have to drop a table that every other
    # one references.
    op.add_column("ads", sa.Column("redacted_at", _utc(), nullable=True))
    op.add_column("ads", sa.Column("redaction", sa.String(10), nullable=True))
    op.add_column("review_queue", sa.Column("closed_at", _utc(), nullable=True))
    op.add_column("review_queue", sa.Column("closed_by", sa.String(), nullable=True))


def downgrade() -> None:
    for table, column in (("review_queue", "closed_by"), ("review_queue", "closed_at"),
                          ("ads", "redaction"), ("ads", "redacted_at")):
        op.drop_column(table, column)  # SQLite 3.35+ drops a column in place
