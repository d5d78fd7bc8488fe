"""Saving and loading assessments with their indicator hits.

An assessment is stored once per (ad, model sha256): assessing the same ads again with the
same model stores nothing, and a new model's verdicts sit beside the old ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.db import insert_new
from annotation.store.tables import AssessmentRow, HitRow
from corpora.records import Assessment, Evidence, IndicatorHit, ModelRef


@dataclass(frozen=True)
class SavedAssessments:
    """How many assessments were stored now and how many were there already."""

    new: int
    existing: int


def save_assessments(session: Session, assessments: Sequence[Assessment],
                     scan_id: int | None = None) -> SavedAssessments:
    """Store assessments and their hits, skipping any (ad id, model sha256) already stored.

    The ads must be stored first. Safe to run twice and from two processes at once.
    """
    unique: dict[tuple[str, str], Assessment] = {}
    for assessment in assessments:
        unique.setdefault((assessment.ad_id, assessment.model.sha256), assessment)
    if not unique:
        return SavedAssessments(new=0, existing=len(assessments))
    statement = insert_new(session, AssessmentRow.__table__, ["ad_id", "model_sha256"]).returning(
        AssessmentRow.id, AssessmentRow.ad_id, AssessmentRow.model_sha256)
    rows = [_assessment_values(a, scan_id) for a in unique.values()]
    stored = session.execute(statement, rows).all()
    hit_rows = [
        {"assessment_id": assessment_id, **_hit_values(hit)}
        for assessment_id, ad_id, sha256 in stored
        for hit in unique[(ad_id, sha256)].hits
    ]
    if hit_rows:
        session.execute(HitRow.__table__.insert(), hit_rows)
    return SavedAssessments(new=len(stored), existing=len(assessments) - len(stored))


def load_assessments(session: Session, ad_id: str) -> list[Assessment]:
    """Every stored assessment of one ad, oldest first."""
    query = (select(AssessmentRow).where(AssessmentRow.ad_id == ad_id)
             .order_by(AssessmentRow.created_at, AssessmentRow.id))
    return [assessment_from_row(row) for row in session.scalars(query)]


def assessment_from_row(row: AssessmentRow) -> Assessment:
    return Assessment(
        ad_id=row.ad_id, lang=row.lang, risk=row.risk, score=row.score,
        hits=[IndicatorHit(id=hit.indicator_id, score=hit.score, strength=hit.strength,
                           evidence=[Evidence(**span) for span in hit.evidence],
                           detector=hit.detector)
              for hit in row.hits],
        explanation=row.explanation,
        model=ModelRef(name=row.model_name, version=row.model_version, sha256=row.model_sha256),
        created_at=row.created_at,
    )


def _assessment_values(assessment: Assessment, scan_id: int | None) -> dict[str, object]:
    return {
        "ad_id": assessment.ad_id, "scan_id": scan_id, "lang": assessment.lang,
        "risk": assessment.risk, "score": assessment.score,
        "explanation": assessment.explanation, "model_name": assessment.model.name,
        "model_version": assessment.model.version, "model_sha256": assessment.model.sha256,
        "created_at": assessment.created_at,
    }


def _hit_values(hit: IndicatorHit) -> dict[str, object]:
    return {"indicator_id": hit.id, "score": hit.score, "strength": hit.strength,
            "detector": hit.detector, "evidence": [span.model_dump() for span in hit.evidence]}
