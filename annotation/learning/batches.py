"""Annotation batches: what trainers label, one ad at a time.

A batch holds the ads a selection policy chose (`annotation.learning.selection`), in
order, and is assigned to one trainer or several (overlap, for agreement). Each trainer
labels every ad of the batch, blind: a task shows the ad and the model's pre-filled
spans, never another trainer's answer. Answers (`labelled`, `unclear`, `skipped`) are
appended, never overwritten, and audited; a trainer's latest answer counts, and a skipped
ad comes back after the ones not yet seen.

The web app, the CLI and the flows all call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from annotation.learning.selection import (
    Candidate,
    Selection,
    Thresholds,
    candidate_from_assessments,
)
from annotation.store.ads import ad_from_row
from annotation.store.assessments import assessment_from_row
from annotation.store.audit import record_audit
from annotation.store.reviews import annotation_from_row, append_annotation
from annotation.store.tables import AdLinkRow, AdRow, AnnotationRow, AssessmentRow
from annotation.store.trainer_tables import AssignmentRow, BatchItemRow, BatchRow
from corpora.records import Ad, Annotation, Assessment, utc_now


class BatchError(ValueError):
    """A batch, a task or an answer that cannot be used as asked; the message says why."""


@dataclass(frozen=True)
class BatchSummary:
    """A batch with its size, trainers and how many ads each has answered."""

    id: int
    name: str
    policy: str
    created_by: str
    created_at: datetime
    ads: int
    reasons: dict[str, int]
    answered: dict[str, int]  # trainer -> ads answered (labelled or unclear)

    @property
    def trainers(self) -> list[str]:
        return sorted(self.answered)


@dataclass(frozen=True)
class Task:
    """One ad for one trainer: the ad, the model's pre-filled hits and where it stands in
    the batch. Never holds another trainer's answer."""

    batch_id: int
    batch_name: str
    position: int
    total: int
    answered: int
    ad: Ad
    prefill: Assessment | None


def create_batch(session: Session, selection: Selection, *, name: str, created_by: str,
                 trainers: Sequence[str] = ()) -> int:
    """Store a selection as a batch (and assign it to `trainers`); returns the batch id."""
    if not selection.picks:
        raise BatchError("the selection is empty: no ad left to label")
    batch = BatchRow(name=name, policy=selection.policy, created_by=created_by,
                     created_at=utc_now())
    session.add(batch)
    session.flush()
    session.add_all(BatchItemRow(batch_id=batch.id, ad_id=pick.ad_id, position=n,
                                 reason=pick.reason, score=pick.score)
                    for n, pick in enumerate(selection.picks, 1))
    record_audit(session, created_by, "annotation.batch.create", f"batch:{batch.id}",
                 after={"name": name, "policy": selection.policy,
                        "ads": [pick.ad_id for pick in selection.picks]})
    if trainers:
        assign_trainers(session, batch.id, trainers, actor=created_by)
    return batch.id


def assign_trainers(session: Session, batch_id: int, trainers: Sequence[str], *,
                    actor: str) -> list[str]:
    """Give the batch to more trainers; returns those newly assigned."""
    if session.get(BatchRow, batch_id) is None:
        raise BatchError(f"no batch {batch_id}")
    known = set(session.scalars(select(AssignmentRow.trainer)
                                .where(AssignmentRow.batch_id == batch_id)))
    added = [t for t in dict.fromkeys(trainers) if t not in known]
    now = utc_now()
    session.add_all(AssignmentRow(batch_id=batch_id, trainer=t, assigned_by=actor,
                                  assigned_at=now) for t in added)
    if added:
        record_audit(session, actor, "annotation.batch.assign", f"batch:{batch_id}",
                     before={"trainers": sorted(known)},
                     after={"trainers": sorted(known | set(added))})
    return added


def list_batches(session: Session, *, trainer: str | None = None) -> list[BatchSummary]:
    """Every batch, newest first (only those assigned to `trainer` when given)."""
    query = select(BatchRow.id).order_by(BatchRow.created_at.desc(), BatchRow.id.desc())
    if trainer is not None:
        query = query.where(exists().where(and_(AssignmentRow.batch_id == BatchRow.id,
                                                AssignmentRow.trainer == trainer)))
    return [summary for batch_id in session.scalars(query)
            if (summary := load_batch(session, batch_id)) is not None]


def load_batch(session: Session, batch_id: int) -> BatchSummary | None:
    batch = session.get(BatchRow, batch_id)
    if batch is None:
        return None
    reasons = dict(session.execute(
        select(BatchItemRow.reason, func.count()).where(BatchItemRow.batch_id == batch_id)
        .group_by(BatchItemRow.reason)).all())
    trainers = list(session.scalars(select(AssignmentRow.trainer)
                                    .where(AssignmentRow.batch_id == batch_id)))
    latest = _latest_answers(session, batch_id)
    answered = {t: sum(1 for (who, _), a in latest.items() if who == t and a.status != "skipped")
                for t in trainers}
    return BatchSummary(batch.id, batch.name, batch.policy, batch.created_by, batch.created_at,
                        sum(reasons.values()), reasons, answered)


def _latest_answers(session: Session, batch_id: int) -> dict[tuple[str, str], Annotation]:
    """(trainer, ad id) -> that trainer's latest answer on the ad within the batch."""
    query = (select(AnnotationRow).where(AnnotationRow.batch_id == batch_id)
             .order_by(AnnotationRow.created_at, AnnotationRow.id))
    return {(row.annotator, row.ad_id): annotation_from_row(row) for row in session.scalars(query)}


def _is_assigned(session: Session, batch_id: int, trainer: str) -> bool:
    return session.scalar(select(AssignmentRow.id).where(
        AssignmentRow.batch_id == batch_id, AssignmentRow.trainer == trainer)) is not None


def next_task(session: Session, trainer: str, batch_id: int | None = None, *,
              prefill_model: str | None = None) -> Task | None:
    """The trainer's next ad: in batch order, first the ads they have not answered, then
    the ones they skipped; None when every assigned batch is done."""
    batches = ([batch_id] if batch_id is not None else
               [b.id for b in reversed(list_batches(session, trainer=trainer))])
    for candidate in batches:
        if not _is_assigned(session, candidate, trainer):
            raise BatchError(f"batch {candidate} is not assigned to {trainer}")
        latest = _latest_answers(session, candidate)
        items = session.execute(select(BatchItemRow.ad_id, BatchItemRow.position)
                                .where(BatchItemRow.batch_id == candidate)
                                .order_by(BatchItemRow.position)).all()
        unseen = [ad for ad, _ in items if (trainer, ad) not in latest]
        skipped = [ad for ad, _ in items if (trainer, ad) in latest
                   and latest[(trainer, ad)].status == "skipped"]
        for ad_id in unseen + skipped:
            return load_task(session, trainer, candidate, ad_id, prefill_model=prefill_model)
    return None


def load_task(session: Session, trainer: str, batch_id: int, ad_id: str, *,
              prefill_model: str | None = None) -> Task:
    """One ad of a batch for one trainer (BatchError when the ad or trainer is not in it).

    The pre-fill is the latest assessment by `prefill_model` (a model name such as
    'indicators.ensemble'), else the latest assessment of the ad.
    """
    batch = session.get(BatchRow, batch_id)
    if batch is None:
        raise BatchError(f"no batch {batch_id}")
    if not _is_assigned(session, batch_id, trainer):
        raise BatchError(f"batch {batch_id} is not assigned to {trainer}")
    item = session.scalar(select(BatchItemRow).where(BatchItemRow.batch_id == batch_id,
                                                     BatchItemRow.ad_id == ad_id))
    if item is None:
        raise BatchError(f"ad {ad_id} is not in batch {batch_id}")
    total = session.scalar(select(func.count()).where(BatchItemRow.batch_id == batch_id)) or 0
    latest = _latest_answers(session, batch_id)
    answered = sum(1 for (who, _), a in latest.items() if who == trainer and a.status != "skipped")
    rows = session.scalars(select(AssessmentRow).where(AssessmentRow.ad_id == ad_id)
                           .order_by(AssessmentRow.created_at, AssessmentRow.id)).all()
    preferred = [r for r in rows if r.model_name == prefill_model] or rows
    prefill = assessment_from_row(preferred[-1]) if preferred else None
    return Task(batch_id, batch.name, item.position, total, answered,
                ad_from_row(session.get_one(AdRow, ad_id)), prefill)


def submit_answer(session: Session, answer: Annotation) -> None:
    """Append a trainer's answer to an ad of a batch assigned to them (audited)."""
    if answer.batch_id is None:
        raise BatchError("an answer names the batch it belongs to")
    load_task(session, answer.annotator, answer.batch_id, answer.ad_id)  # checks membership
    ad = session.get_one(AdRow, answer.ad_id)
    for indicator, spans in answer.evidence.items():
        for span in spans:
            if ad.text[span.start:span.end] != span.text:
                raise BatchError(f"{indicator}: span {span.start}-{span.end} does not match "
                                 "the ad text")
    append_annotation(session, answer)


def batch_labels(session: Session, batch_id: int) -> dict[str, dict[str, Annotation]]:
    """trainer -> ad id -> the trainer's latest answer, where it is `labelled` (unclear and
    skipped answers are no labels)."""
    out: dict[str, dict[str, Annotation]] = {}
    for (trainer, ad_id), answer in _latest_answers(session, batch_id).items():
        if answer.status == "labelled":
            out.setdefault(trainer, {})[ad_id] = answer
    return out


def unlabelled_candidates(session: Session, thresholds: Mapping[str, Thresholds], *,
                          limit: int = 5000, ad_ids: Sequence[str] | None = None
                          ) -> list[Candidate]:
    """Assessed ads no batch holds and nobody annotated, newest assessed first (at most
    `limit`), with every stored assessment and stored cluster. Re-posts of another ad are
    left out: their original stands for them. `ad_ids` restricts the pool."""
    in_batch = exists().where(BatchItemRow.ad_id == AdRow.id)
    annotated = exists().where(AnnotationRow.ad_id == AdRow.id)
    newest = (select(AssessmentRow.ad_id, func.max(AssessmentRow.created_at).label("at"))
              .group_by(AssessmentRow.ad_id).subquery())
    query = (select(AdRow, AdLinkRow.cluster_id)
             .join(newest, newest.c.ad_id == AdRow.id)
             .outerjoin(AdLinkRow, AdLinkRow.ad_id == AdRow.id)
             .where(~in_batch, ~annotated, AdRow.lang != "und",
                    AdLinkRow.duplicate_of.is_(None))
             .order_by(newest.c.at.desc(), AdRow.id).limit(limit))
    if ad_ids is not None:
        query = query.where(AdRow.id.in_(list(ad_ids)))
    rows = session.execute(query).all()
    assessments: dict[str, list[Assessment]] = {row.id: [] for row, _ in rows}
    for start in range(0, len(rows), 500):
        chunk = [row.id for row, _ in rows[start:start + 500]]
        for found in session.scalars(select(AssessmentRow).where(AssessmentRow.ad_id.in_(chunk))):
            assessments[found.ad_id].append(assessment_from_row(found))
    return [candidate_from_assessments(ad_from_row(row), assessments[row.id], thresholds,
                                       cluster)
            for row, cluster in rows]
