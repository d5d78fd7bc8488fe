"""Linking ads: entities (contacts as HMAC pseudonyms), fingerprints, the near-duplicate
index and clusters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")


def upgrade() -> None:
    op.create_table(
        "ad_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=True),
        sa.Column("normalised", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_ad_entities_ad_id_ads"),
        sa.PrimaryKeyConstraint("id", name="pk_ad_entities"),
        sa.UniqueConstraint("ad_id", "start", name="uq_ad_entities_ad_id_start"),
    )
    op.create_index("ix_ad_entities_ad_id", "ad_entities", ["ad_id"])
    op.create_index("ix_ad_entities_pseudonym", "ad_entities", ["pseudonym"])
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        sa.Column("countries", _json(), nullable=False),
        sa.Column("sources", _json(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["merged_into"], ["clusters.id"],
                                name="fk_clusters_merged_into_clusters"),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
    )
    op.create_index("ix_clusters_size", "clusters", ["size"])
    op.create_table(
        "ad_links",
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.Column("text_key", sa.String(64), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("duplicate_of", sa.String(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_ad_links_ad_id_ads"),
        sa.ForeignKeyConstraint(["duplicate_of"], ["ads.id"],
                                name="fk_ad_links_duplicate_of_ads"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name="fk_ad_links_cluster_id_clusters"),
        sa.PrimaryKeyConstraint("ad_id", name="pk_ad_links"),
    )
    op.create_index("ix_ad_links_text_key", "ad_links", ["text_key"])
    op.create_index("ix_ad_links_duplicate_of", "ad_links", ["duplicate_of"])
    op.create_index("ix_ad_links_cluster_id", "ad_links", ["cluster_id"])
    op.create_table(
        "lsh_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("ad_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name="fk_lsh_bands_ad_id_ads"),
        sa.PrimaryKeyConstraint("band", "bucket", "ad_id", name="pk_lsh_bands"),
    )


def downgrade() -> None:
    for table in ("lsh_bands", "ad_links", "clusters", "ad_entities"):
        op.drop_table(table)
