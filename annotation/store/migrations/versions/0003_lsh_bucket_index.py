"""Index LSH band keys by bucket: looking them up by (band, bucket) pairs made SQLite scan
the whole table, so the near-duplicate cost per ad grew with the store.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lsh_bands_bucket", "lsh_bands", ["bucket"])


def downgrade() -> None:
    op.drop_index("ix_lsh_bands_bucket", table_name="lsh_bands")
