"""The trainers' tables: annotation batches, who they are assigned to, adjudications and
the new phrases found in recent ads (see annotation/learning/).

- `BatchRow` + `BatchItemRow`: a batch of ads chosen by a selection policy, with each
  ad's place, the reason it was chosen and its score; `AssignmentRow`: a trainer given the
  batch (several trainers label the same ads, for overlap).
- `AdjudicationRow`: the final labels of an ad that trainers disagreed on (an
  `Adjudication`; append-only, the latest counts).
- `PhraseRow`: a phrase new-wording detection surfaced, with its statistics and the ads
  it came from; a trainer accepts it (it becomes rule data) or dismisses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from annotation.store.tables import Base


class BatchRow(Base):
    """A batch of ads for trainers, filled by a selection policy."""

    __tablename__ = "annotation_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String())
    policy: Mapped[str] = mapped_column(String())
    created_by: Mapped[str] = mapped_column(String())
    created_at: Mapped[datetime]


class BatchItemRow(Base):
    """One ad of a batch: its place, why the policy chose it and how strongly."""

    __tablename__ = "annotation_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "ad_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("annotation_batches.id"), index=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    position: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)


class AssignmentRow(Base):
    """A trainer who labels every ad of a batch."""

    __tablename__ = "annotation_assignments"
    __table_args__ = (UniqueConstraint("batch_id", "trainer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("annotation_batches.id"), index=True)
    trainer: Mapped[str] = mapped_column(String(), index=True)
    assigned_by: Mapped[str] = mapped_column(String())
    assigned_at: Mapped[datetime]


class AdjudicationRow(Base):
    """An `Adjudication`; `evidence` maps indicator ids to lists of {start, end, text}."""

    __tablename__ = "adjudications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("annotation_batches.id"),
                                                 index=True)
    adjudicator: Mapped[str] = mapped_column(String())
    indicators: Mapped[list[Any]]
    evidence: Mapped[dict[str, Any]]
    risk: Mapped[str] = mapped_column(String(6))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class PhraseRow(Base):
    """A phrase that rose in recent flagged or near-threshold ads and no rule covers.

    `status` is open, accepted or dismissed; an accepted phrase names its indicator and
    the rule file it went into. `examples` are {ad_id, start, end} (no ad text here).
    """

    __tablename__ = "wording_phrases"
    __table_args__ = (UniqueConstraint("lang", "phrase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(3))
    phrase: Mapped[str] = mapped_column(Text)
    surface: Mapped[str] = mapped_column(Text)
    target_ads: Mapped[int]
    reference_ads: Mapped[int]
    target_share: Mapped[float] = mapped_column(Float)
    reference_share: Mapped[float] = mapped_column(Float)
    llr: Mapped[float] = mapped_column(Float, index=True)
    examples: Mapped[list[Any]]
    found_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), index=True)
    indicator: Mapped[str | None] = mapped_column(String())
    rule_file: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String())
    decided_at: Mapped[datetime | None]
