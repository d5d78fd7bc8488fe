"""The store's tables, derived from the record schema (corpora/records.py).

One row type per stored record: `AdRow` for `Ad`, `AssessmentRow` + `HitRow` for
`Assessment` and its `IndicatorHit`s, `ReviewDecisionRow`, `AnnotationRow`; plus
`ScanRow` (one run of the scan flow) and `AuditRow` (who changed what). Linking ads:
`AdEntityRow` (contacts and amounts found in an ad, contacts only as HMAC pseudonyms),
`AdLinkRow` (an ad's fingerprint, the ad it re-posts, its cluster), `LshBandRow` (the
near-duplicate index) and `ClusterRow`. Reviewing: `QueueItemRow` (a flagged ad in the
review queue, with its lease) and the accounts, `UserRow`, `LoginSessionRow` and
`LoginFailureRow`. The trainers' tables (batches, adjudications, new phrases) are in
`trainer_tables.py`. Review decisions, annotations, adjudications and audit rows are
append-only: the ORM refuses to update or delete them.

A change here needs a new migration in `migrations/versions/`; a test compares the two.
All times are stored in UTC and read back timezone-aware; a naive time is taken as UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

# Constraint names are fixed so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime kept in UTC (SQLite has no time zones of its own)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# JSONB on PostgreSQL (indexable, compact); None is SQL NULL, not the JSON text 'null'.
JsonValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonValue,
        list[Any]: JsonValue,
    }


class ScanRow(Base):
    """One run of the scan flow over one source, with what it found, the process running
    it (`owner`, "host:pid") and when it last stored a batch (`heartbeat_at`)."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    model_name: Mapped[str] = mapped_column(String())
    model_version: Mapped[str] = mapped_column(String())
    model_sha256: Mapped[str] = mapped_column(String(64))
    # Widened for 'interrupted' where lengths are enforced; SQLite ignores them, and
    # altering a column there would mean copying a table others refer to.
    status: Mapped[str] = mapped_column(String(16).with_variant(String(10), "sqlite"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String())
    heartbeat_at: Mapped[datetime | None]
    records_read: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    ads_new: Mapped[int] = mapped_column(default=0)
    ads_seen: Mapped[int] = mapped_column(default=0)
    ads_changed: Mapped[int] = mapped_column(default=0)
    assessments_new: Mapped[int] = mapped_column(default=0)


class AdRow(Base):
    """An `Ad`, with the scan that first stored it. The stored text is never rewritten,
    only redacted (annotation/store/redaction.py): `redaction` says why ('contacts',
    'retention' or 'erasure') and `redacted_at` when.

    A source that sends a new text under a stored id gets a new row for it, a revision:
    `revision` counts from 1 and `revision_of` holds the id of the first row (None on the
    first row itself; not a foreign key, so that adding it left the referenced table as it
    was). See annotation/store/ads.py."""

    __tablename__ = "ads"

    id: Mapped[str] = mapped_column(String(), primary_key=True)
    source: Mapped[str] = mapped_column(String())
    url: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String())
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    raw_ref: Mapped[str | None] = mapped_column(Text)
    first_seen_scan: Mapped[int | None] = mapped_column(ForeignKey("scans.id"))
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    revision_of: Mapped[str | None] = mapped_column(String(), index=True)
    redacted_at: Mapped[datetime | None]
    redaction: Mapped[str | None] = mapped_column(String(10))


class AssessmentRow(Base):
    """An `Assessment`: one model's verdict on one ad, stored once per (ad, model sha256)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("ad_id", "model_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"), index=True)
    lang: Mapped[str] = mapped_column(String(3))
    risk: Mapped[str] = mapped_column(String(6), index=True)
    score: Mapped[float] = mapped_column(Float, index=True)
    explanation: Mapped[str] = mapped_column(Text, default="")
    model_name: Mapped[str] = mapped_column(String())
    model_version: Mapped[str] = mapped_column(String())
    model_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    hits: Mapped[list[HitRow]] = relationship(
        back_populates="assessment", order_by="HitRow.id", lazy="selectin",
        cascade="all, delete-orphan", passive_deletes=True)


class HitRow(Base):
    """An `IndicatorHit` of an assessment; `evidence` is a list of {start, end, text}."""

    __tablename__ = "indicator_hits"
    # By indicator, then assessment: the review queue's indicator filter reads only this.
    __table_args__ = (Index("ix_indicator_hits_indicator_id_assessment_id", "indicator_id",
                            "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[str] = mapped_column(String())
    score: Mapped[float] = mapped_column(Float)
    strength: Mapped[str] = mapped_column(String(6))
    detector: Mapped[str] = mapped_column(String())
    evidence: Mapped[list[Any]]

    assessment: Mapped[AssessmentRow] = relationship(back_populates="hits")


class ReviewDecisionRow(Base):
    """A `ReviewDecision`; `evidence` maps indicator ids to lists of {start, end, text}.
    Append-only: a new decision is a new row."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String())
    decision: Mapped[str] = mapped_column(String(10))
    indicators: Mapped[list[Any] | None]
    evidence: Mapped[dict[str, Any] | None]
    risk: Mapped[str | None] = mapped_column(String(6))
    note: Mapped[str] = mapped_column(Text, default="")
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AnnotationRow(Base):
    """An `Annotation`; `evidence` maps indicator ids to lists of {start, end, text}."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    annotator: Mapped[str] = mapped_column(String())
    indicators: Mapped[list[Any]]
    evidence: Mapped[dict[str, Any]]
    risk: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10), default="labelled")
    note: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_batches.id"), index=True)
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AuditRow(Base):
    """Who did what, when, to what, with the state before and after (JSON)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String())
    target: Mapped[str | None] = mapped_column(String())
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class AdEntityRow(Base):
    """An entity found in an ad's stored text: its kind and span and, for a contact, its
    HMAC pseudonym. No raw contact value is stored here: it is `ads.text[start:end]` while
    the text is kept, and gone with it (see annotation/store/entities.py)."""

    __tablename__ = "ad_entities"
    __table_args__ = (UniqueConstraint("ad_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[int]
    end: Mapped[int]
    pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    normalised: Mapped[str | None] = mapped_column(String())  # amounts only, never contacts


class ClusterRow(Base):
    """Ads linked by a shared contact or near-duplicate text, with what they span. A cluster
    merged into another keeps its row, pointing at the one it became."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(index=True)
    contacts: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    countries: Mapped[list[Any]]
    sources: Mapped[list[Any]]
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    updated_at: Mapped[datetime]


class AdLinkRow(Base):
    """An ad's text fingerprint, the earlier ad it re-posts (exactly or nearly) and its
    cluster; one row per ad linked by a scan."""

    __tablename__ = "ad_links"

    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), primary_key=True)
    text_key: Mapped[str] = mapped_column(String(64), index=True)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    duplicate_of: Mapped[str | None] = mapped_column(ForeignKey("ads.id"), index=True)
    similarity: Mapped[float | None] = mapped_column(Float)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    linked_at: Mapped[datetime]


class LshBandRow(Base):
    """One LSH band key of an ad's MinHash: ads sharing a (band, bucket) are candidate
    near-duplicates (corpora/fingerprints.py)."""

    __tablename__ = "lsh_bands"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # Looked up by bucket alone: a row-value IN over (band, bucket) makes SQLite scan.
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), primary_key=True)


class QueueItemRow(Base):
    """A flagged ad in the review queue: one row per ad, following its latest assessment.

    `state` caches the latest review decision ('open' before any); the decisions table
    stays the record. Language, source, country and date are copied from the ad so that
    filtering the queue needs no join. A lease (`lease_owner` until `lease_expires_at`)
    hands the item to one reviewer at a time.
    """

    __tablename__ = "review_queue"
    __table_args__ = (
        # Review order within a state and across states, carrying the columns filtered on
        # most so that rows are skipped before they are read; and the facets a queue page
        # counts by, so that counting reads only an index (state first: with risk first,
        # SQLite would pick it for the all-states list and sort every row).
        Index("ix_review_queue_state_score", "state", "score", "first_seen_at", "risk",
              "assessment_id"),
        Index("ix_review_queue_score", "score", "first_seen_at", "risk", "assessment_id"),
        Index("ix_review_queue_facets", "state", "risk", "lang", "country", "source",
              "ad_date", "assessment_id"),
    )

    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    risk: Mapped[str] = mapped_column(String(6))
    score: Mapped[float] = mapped_column(Float)
    lang: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(), index=True)
    country: Mapped[str | None] = mapped_column(String())
    ad_date: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10))
    decided_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(), index=True)
    lease_expires_at: Mapped[datetime | None]
    # An admin closed the case of a confirmed or escalated ad; retention counts from here.
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String())


class UserRow(Base):
    """An account: a unique name, one role, an argon2 password hash; never deleted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String())
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class LoginSessionRow(Base):
    """A signed-in browser: the sha256 of its cookie token (never the token) and its CSRF
    token; deleted at logout, ignored once expired."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginFailureRow(Base):
    """A failed sign-in, kept for rate limiting (by name and by client address)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


class AppendOnlyError(RuntimeError):
    """Someone tried to edit or delete a review decision, an annotation or an audit row."""


def _refuse_change(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    raise AppendOnlyError(
        f"{type(target).__tablename__} rows are append-only; add a new row instead")


# The trainers' tables (batches, adjudications, new phrases) live in their own module on
# the same Base; imported here so that the metadata always holds them.
from annotation.store.trainer_tables import AdjudicationRow  # noqa: E402

for _row_type in (ReviewDecisionRow, AnnotationRow, AuditRow, AdjudicationRow):
    event.listen(_row_type, "before_update", _refuse_change)
    event.listen(_row_type, "before_delete", _refuse_change)
