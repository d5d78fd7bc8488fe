"""Adjudication: where trainers' labels on a batch disagree, the final label someone
records for them, and the final labels training uses.

Two trainers or more disagree on an ad when their latest `labelled` answers differ on
an indicator (one marked it, another did not), on risk, or on an indicator's evidence
(none of one trainer's spans overlaps any of another's). Ads where they all agree need no
adjudication: their labels stand by **consensus** (the indicators and risk they share,
with the evidence of the earliest answer). An **adjudication** is appended and audited;
the latest one of an ad is its final label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.learning.batches import BatchError, batch_labels, load_batch
from annotation.store.ads import ad_from_row
from annotation.store.audit import record_audit
from annotation.store.tables import AdRow
from annotation.store.trainer_tables import AdjudicationRow, BatchRow
from corpora.records import Ad, Adjudication, Annotation, Evidence, Risk

Source = Literal["adjudicated", "consensus"]


@dataclass(frozen=True)
class Disagreement:
    """An ad the trainers labelled differently: each one's labels side by side, what
    differs, and its adjudication so far (None when open)."""

    ad: Ad
    labels: dict[str, Annotation]
    differences: list[str]
    adjudication: Adjudication | None


@dataclass(frozen=True)
class FinalLabel:
    """The labels an ad ends with, where they come from and who decided."""

    ad_id: str
    indicators: list[str]
    evidence: dict[str, list[Evidence]]
    risk: Risk
    source: Source
    decided_by: str  # the adjudicator, or the trainers who agreed
    batch_id: int | None


def _overlap(a: list[Evidence], b: list[Evidence]) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a for y in b)


def differences(labels: Mapping[str, Annotation]) -> list[str]:
    """What the trainers' labels of one ad disagree on: indicator ids, 'risk', and
    'ID evidence' where every trainer marked ID but two of them on disjoint spans."""
    answers = list(labels.values())
    marked = [set(a.indicators) for a in answers]
    out = sorted(set.union(*marked) - set.intersection(*marked))
    for indicator in sorted(set.intersection(*marked)):
        spans = [a.evidence.get(indicator, []) for a in answers]
        if any(x and y and not _overlap(x, y) for x, y in combinations(spans, 2)):
            out.append(f"{indicator} evidence")
    if len({a.risk for a in answers}) > 1:
        out.append("risk")
    return out


def latest_adjudications(session: Session, batch_id: int | None = None
                         ) -> dict[str, Adjudication]:
    """ad id -> its latest adjudication (of one batch, when given)."""
    query = select(AdjudicationRow).order_by(AdjudicationRow.created_at, AdjudicationRow.id)
    if batch_id is not None:
        query = query.where(AdjudicationRow.batch_id == batch_id)
    return {row.ad_id: _from_row(row) for row in session.scalars(query)}


def _from_row(row: AdjudicationRow) -> Adjudication:
    return Adjudication(ad_id=row.ad_id, adjudicator=row.adjudicator, indicators=row.indicators,
                        evidence={ind: [Evidence(**s) for s in spans]
                                  for ind, spans in row.evidence.items()},
                        risk=row.risk, note=row.note, batch_id=row.batch_id,
                        created_at=row.created_at)


def _by_ad(labels: Mapping[str, Mapping[str, Annotation]]) -> dict[str, dict[str, Annotation]]:
    out: dict[str, dict[str, Annotation]] = {}
    for trainer, answers in labels.items():
        for ad_id, answer in answers.items():
            out.setdefault(ad_id, {})[trainer] = answer
    return {ad_id: dict(sorted(by.items())) for ad_id, by in sorted(out.items())}


def find_disagreements(session: Session, batch_id: int, *,
                       include_adjudicated: bool = True) -> list[Disagreement]:
    """The batch's ads with two labelled answers or more that disagree, by ad id."""
    adjudicated = latest_adjudications(session, batch_id)
    found = []
    for ad_id, labels in _by_ad(batch_labels(session, batch_id)).items():
        if len(labels) < 2 or not (diff := differences(labels)):
            continue
        if adjudicated.get(ad_id) is not None and not include_adjudicated:
            continue
        found.append(Disagreement(ad_from_row(session.get_one(AdRow, ad_id)), labels, diff,
                                  adjudicated.get(ad_id)))
    return found


def record_adjudication(session: Session, adjudication: Adjudication) -> None:
    """Append an adjudication and audit it (before: the ad's previous adjudication)."""
    ad = session.get(AdRow, adjudication.ad_id)
    if ad is None:
        raise ValueError(f"no ad {adjudication.ad_id}")
    for indicator, spans in adjudication.evidence.items():
        if indicator not in adjudication.indicators:
            raise ValueError(f"evidence for {indicator}, which is not marked")
        if any(ad.text[s.start:s.end] != s.text for s in spans):
            raise ValueError(f"{indicator}: a span does not match the ad text")
    previous = latest_adjudications(session).get(adjudication.ad_id)
    session.add(AdjudicationRow(**adjudication.model_dump(mode="json", exclude={"created_at"}),
                                created_at=adjudication.created_at))
    record_audit(session, adjudication.adjudicator, "annotation.adjudicate",
                 f"ad:{adjudication.ad_id}",
                 before=previous.model_dump(mode="json") if previous else None,
                 after=adjudication.model_dump(mode="json"))


def final_labels(session: Session, batch_id: int | None = None) -> dict[str, FinalLabel]:
    """Final labels of one batch, or of every batch (a later batch's label of an ad wins):
    adjudicated ones, and consensus where the trainers (two or more) agree. Ads with one
    answer only, or an open disagreement, have none yet."""
    if batch_id is None:
        out: dict[str, FinalLabel] = {}
        for batch in session.scalars(select(BatchRow.id).order_by(BatchRow.created_at,
                                                                  BatchRow.id)):
            out.update(final_labels(session, batch))
        return out
    adjudicated = latest_adjudications(session, batch_id)
    out = {}
    for ad_id, labels in _by_ad(batch_labels(session, batch_id)).items():
        if ad_id in adjudicated:
            a = adjudicated[ad_id]
            out[ad_id] = FinalLabel(ad_id, a.indicators, a.evidence, a.risk, "adjudicated",
                                    a.adjudicator, batch_id)
        elif len(labels) >= 2 and not differences(labels):
            first = min(labels.values(), key=lambda a: a.created_at)
            assert first.risk is not None  # labelled answers always have one
            out[ad_id] = FinalLabel(ad_id, first.indicators, first.evidence, first.risk,
                                    "consensus", ", ".join(labels), batch_id)
    return out


def check_adjudicator(session: Session, batch_id: int, name: str) -> None:
    """Raise BatchError when `name` may not see the batch's labels side by side yet: a
    trainer of the batch stays blind to the others' answers until they answered every ad."""
    batch = load_batch(session, batch_id)
    if batch is None:
        raise BatchError(f"no batch {batch_id}")
    if name in batch.answered and batch.answered[name] < batch.ads:
        raise BatchError(f"you label batch {batch.name} too: its labels stay hidden from you "
                         f"until you have answered all {batch.ads} ads "
                         f"({batch.answered[name]} so far)")
