"""Ad revisions: a new text under a stored ad id is kept as a new row of `ads` (revision 2,
3, ...) pointing at the first row through `revision_of`, instead of being dropped.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of `ads` would have to drop a table that every other
    # one references.
    op.add_column("ads", sa.Column("revision", sa.Integer(), nullable=False,
                                   server_default="1"))
    op.add_column("ads", sa.Column("revision_of", sa.String(), nullable=True))
    op.create_index("ix_ads_revision_of", "ads", ["revision_of"])


def downgrade() -> None:
    op.drop_index("ix_ads_revision_of", table_name="ads")
    op.drop_column("ads", "revision_of")  # SQLite 3.35+ drops a column in place
    op.drop_column("ads", "revision")
