"""Initial store: scans, ads, assessments, indicator hits, reviews, annotations, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("model_name", sa.String(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("ads_new", sa.Integer(), nullable=False),
        sa.Column("ads_seen", sa.Integer(), nullable=False),
        sa.Column("ads_changed", sa.Integer(), nullable=False),
        sa.Column("assessments_new", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
    )
    op.create_table(
        "ads",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(3), nullable=False),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("fetched_at", _utc(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.Column("first_seen_scan", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["first_seen_scan"], ["scans.id"],
                                name="fk_ads_first_seen_scan_scans"),
        sa.PrimaryKeyConstraint("id", name="pk_ads"),
    )
    op.create_index("ix_ads_content_hash", "ads", ["content_hash"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("lang", sa.String(3), nullable=False),
        sa.Column("risk", sa.String(6), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("model_name", sa.String(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_assessments_ad_id_ads"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_assessments_scan_id_scans"),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.UniqueConstraint("ad_id", "model_sha256", name="uq_assessments_ad_id_model_sha256"),
    )
    op.create_index("ix_assessments_ad_id", "assessments", ["ad_id"])
    op.create_index("ix_assessments_scan_id", "assessments", ["scan_id"])
    op.create_index("ix_assessments_risk", "assessments", ["risk"])
    op.create_index("ix_assessments_score", "assessments", ["score"])
    op.create_table(
        "indicator_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("strength", sa.String(6), nullable=False),
        sa.Column("detector", sa.String(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], ondelete="CASCADE",
                                name="fk_indicator_hits_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("id", name="pk_indicator_hits"),
    )
    op.create_index("ix_indicator_hits_assessment_id", "indicator_hits", ["assessment_id"])
    op.create_index("ix_indicator_hits_indicator_id", "indicator_hits", ["indicator_id"])
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("indicators", _json(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_review_decisions_ad_id_ads"),
        sa.PrimaryKeyConstraint("id", name="pk_review_decisions"),
    )
    op.create_index("ix_review_decisions_ad_id", "review_decisions", ["ad_id"])
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("annotator", sa.String(), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("risk", sa.String(6), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_annotations_ad_id_ads"),
        sa.PrimaryKeyConstraint("id", name="pk_annotations"),
    )
    op.create_index("ix_annotations_ad_id", "annotations", ["ad_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])


def downgrade() -> None:
    for table in ("audit_log", "annotations", "review_decisions", "indicator_hits",
                  "assessments", "ads", "scans"):
        op.drop_table(table)
