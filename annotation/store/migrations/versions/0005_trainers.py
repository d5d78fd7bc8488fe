"""Trainers: annotation batches and their assignments, answers that are unclear or
skipped (with a note, the batch and the pre-filling model), adjudications, and the new
phrases found in recent ads.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")


def upgrade() -> None:
    op.create_table(
        "annotation_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_annotation_batches"),
    )
    op.create_table(
        "annotation_batch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["annotation_batches.id"],
                                name="fk_annotation_batch_items_batch_id_annotation_batches"),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"],
                                name="fk_annotation_batch_items_ad_id_ads"),
        sa.PrimaryKeyConstraint("id", name="pk_annotation_batch_items"),
        sa.UniqueConstraint("batch_id", "ad_id",
                            name="uq_annotation_batch_items_batch_id_ad_id"),
    )
    op.create_index("ix_annotation_batch_items_batch_id", "annotation_batch_items",
                    ["batch_id"])
    op.create_index("ix_annotation_batch_items_ad_id", "annotation_batch_items", ["ad_id"])
    op.create_table(
        "annotation_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("trainer", sa.String(), nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=False),
        sa.Column("assigned_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["annotation_batches.id"],
                                name="fk_annotation_assignments_batch_id_annotation_batches"),
        sa.PrimaryKeyConstraint("id", name="pk_annotation_assignments"),
        sa.UniqueConstraint("batch_id", "trainer",
                            name="uq_annotation_assignments_batch_id_trainer"),
    )
    op.create_index("ix_annotation_assignments_batch_id", "annotation_assignments",
                    ["batch_id"])
    op.create_index("ix_annotation_assignments_trainer", "annotation_assignments", ["trainer"])
    with op.batch_alter_table("annotations") as batch:
        batch.alter_column("risk", existing_type=sa.String(6), nullable=True)
        batch.add_column(sa.Column("status", sa.String(10), nullable=False,
                                   server_default="labelled"))
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("model_sha256", sa.String(64), nullable=True))
        batch.create_foreign_key("fk_annotations_batch_id_annotation_batches",
                                 "annotation_batches", ["batch_id"], ["id"])
        batch.create_index("ix_annotations_batch_id", ["batch_id"])
    op.create_table(
        "adjudications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("adjudicator", sa.String(), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("risk", sa.String(6), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_adjudications_ad_id_ads"),
        sa.ForeignKeyConstraint(["batch_id"], ["annotation_batches.id"],
                                name="fk_adjudications_batch_id_annotation_batches"),
        sa.PrimaryKeyConstraint("id", name="pk_adjudications"),
    )
    op.create_index("ix_adjudications_ad_id", "adjudications", ["ad_id"])
    op.create_index("ix_adjudications_batch_id", "adjudications", ["batch_id"])
    op.create_table(
        "wording_phrases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(3), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("surface", sa.Text(), nullable=False),
        sa.Column("target_ads", sa.Integer(), nullable=False),
        sa.Column("reference_ads", sa.Integer(), nullable=False),
        sa.Column("target_share", sa.Float(), nullable=False),
        sa.Column("reference_share", sa.Float(), nullable=False),
        sa.Column("llr", sa.Float(), nullable=False),
        sa.Column("examples", _json(), nullable=False),
        sa.Column("found_at", _utc(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("indicator", sa.String(), nullable=True),
        sa.Column("rule_file", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_wording_phrases"),
        sa.UniqueConstraint("lang", "phrase", name="uq_wording_phrases_lang_phrase"),
    )
    op.create_index("ix_wording_phrases_llr", "wording_phrases", ["llr"])
    op.create_index("ix_wording_phrases_status", "wording_phrases", ["status"])


def downgrade() -> None:
    op.drop_table("wording_phrases")
    op.drop_table("adjudications")
    with op.batch_alter_table("annotations") as batch:
        batch.drop_index("ix_annotations_batch_id")
        batch.drop_constraint("fk_annotations_batch_id_annotation_batches", type_="foreignkey")
        for column in ("model_sha256", "batch_id", "note", "status"):
            batch.drop_column(column)
        batch.alter_column("risk", existing_type=sa.String(6), nullable=False)
    for table in ("annotation_assignments", "annotation_batch_items", "annotation_batches"):
        op.drop_table(table)
