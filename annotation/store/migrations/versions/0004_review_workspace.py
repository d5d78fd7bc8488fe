"""Review workspace: the review queue with leases, accounts (users, login sessions, failed
sign-ins), the reviewer's corrections on a decision (evidence, risk, model), and indicator
hits indexed by indicator then assessment (the queue's indicator filter).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")


def upgrade() -> None:
    op.create_table(
        "review_queue",
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("risk", sa.String(6), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lang", sa.String(3), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("ad_date", _utc(), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_expires_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_review_queue_ad_id_ads"),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name="fk_review_queue_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("ad_id", name="pk_review_queue"),
    )
    op.create_index("ix_review_queue_state_score", "review_queue",
                    ["state", "score", "first_seen_at", "risk", "assessment_id"])
    op.create_index("ix_review_queue_score", "review_queue",
                    ["score", "first_seen_at", "risk", "assessment_id"])
    op.create_index("ix_review_queue_facets", "review_queue",
                    ["state", "risk", "lang", "country", "source", "ad_date", "assessment_id"])
    op.create_index("ix_review_queue_assessment_id", "review_queue", ["assessment_id"])
    op.create_index("ix_review_queue_source", "review_queue", ["source"])
    op.create_index("ix_review_queue_lease_owner", "review_queue", ["lease_owner"])
    op.drop_index("ix_indicator_hits_indicator_id", "indicator_hits")
    op.create_index("ix_indicator_hits_indicator_id_assessment_id", "indicator_hits",
                    ["indicator_id", "assessment_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("password_changed_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name="fk_login_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_login_sessions"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_name", "login_failures", ["name"])
    op.create_index("ix_login_failures_client", "login_failures", ["client"])
    op.create_index("ix_login_failures_created_at", "login_failures", ["created_at"])
    with op.batch_alter_table("review_decisions") as batch:
        batch.add_column(sa.Column("evidence", _json(), nullable=True))
        batch.add_column(sa.Column("risk", sa.String(6), nullable=True))
        batch.add_column(sa.Column("model_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_indicator_hits_indicator_id_assessment_id", "indicator_hits")
    op.create_index("ix_indicator_hits_indicator_id", "indicator_hits", ["indicator_id"])
    with op.batch_alter_table("review_decisions") as batch:
        batch.drop_column("model_sha256")
        batch.drop_column("risk")
        batch.drop_column("evidence")
    for table in ("login_failures", "login_sessions", "users", "review_queue"):
        op.drop_table(table)
