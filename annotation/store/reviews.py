"""Review decisions and annotations: appended, never edited, each with its audit row.

The latest decision on an ad is its current state; earlier ones stay as its history.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.audit import record_audit
from annotation.store.tables import AnnotationRow, ReviewDecisionRow
from corpora.records import Annotation, Evidence, ReviewDecision


def append_review_decision(session: Session, decision: ReviewDecision) -> None:
    """Store an investigator's decision and audit it (before: the ad's previous decision)."""
    previous = list_review_decisions(session, decision.ad_id)
    session.add(ReviewDecisionRow(**decision.model_dump()))
    record_audit(session, decision.reviewer, "review.decide", f"ad:{decision.ad_id}",
                 before=previous[-1].model_dump(mode="json") if previous else None,
                 after=decision.model_dump(mode="json"))


def list_review_decisions(session: Session, ad_id: str) -> list[ReviewDecision]:
    """Every decision on one ad, oldest first."""
    query = (select(ReviewDecisionRow).where(ReviewDecisionRow.ad_id == ad_id)
             .order_by(ReviewDecisionRow.created_at, ReviewDecisionRow.id))
    return [decision_from_row(row) for row in session.scalars(query)]


def decision_from_row(row: ReviewDecisionRow) -> ReviewDecision:
    return ReviewDecision(
        ad_id=row.ad_id, reviewer=row.reviewer, decision=row.decision,  # type: ignore[arg-type]
        indicators=row.indicators,
        evidence={ind: [Evidence(**span) for span in spans]
                  for ind, spans in (row.evidence or {}).items()},
        risk=row.risk, note=row.note, model_sha256=row.model_sha256,  # type: ignore[arg-type]
        created_at=row.created_at)


def append_annotation(session: Session, annotation: Annotation) -> None:
    """Store a trainer's labels and audit them (before: that trainer's previous labels)."""
    previous = [a for a in list_annotations(session, annotation.ad_id)
                if a.annotator == annotation.annotator]
    values = annotation.model_dump(mode="json", exclude={"created_at"})
    session.add(AnnotationRow(**values, created_at=annotation.created_at))
    record_audit(session, annotation.annotator, "annotation.label", f"ad:{annotation.ad_id}",
                 before=previous[-1].model_dump(mode="json") if previous else None,
                 after=annotation.model_dump(mode="json"))


def list_annotations(session: Session, ad_id: str) -> list[Annotation]:
    """Every annotation of one ad, oldest first."""
    query = (select(AnnotationRow).where(AnnotationRow.ad_id == ad_id)
             .order_by(AnnotationRow.created_at, AnnotationRow.id))
    return [annotation_from_row(row) for row in session.scalars(query)]


def annotation_from_row(row: AnnotationRow) -> Annotation:
    return Annotation(ad_id=row.ad_id, annotator=row.annotator, indicators=row.indicators,
                      evidence={ind: [Evidence(**span) for span in spans]
                                for ind, spans in row.evidence.items()},
                      risk=row.risk, status=row.status, note=row.note, batch_id=row.batch_id,
                      model_sha256=row.model_sha256, created_at=row.created_at)
