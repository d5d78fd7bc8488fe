"""Summary queries over stored assessments: counts by risk and the top flagged ads.

Without `model_sha256` they count every stored assessment, so an ad assessed by two
models counts twice; pass the model to see one model's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from annotation.store.tables import AssessmentRow
from corpora.records import RISK_LEVELS, Assessment, Risk


@dataclass(frozen=True)
class FlaggedAd:
    """An ad worth a look: its risk, score and indicator ids (strongest hit first)."""

    ad_id: str
    risk: Risk
    score: float
    indicators: tuple[str, ...]

    @classmethod
    def from_assessment(cls, assessment: Assessment) -> FlaggedAd:
        hits = sorted(assessment.hits, key=lambda hit: -hit.score)
        return cls(assessment.ad_id, assessment.risk, assessment.score,
                   tuple(dict.fromkeys(hit.id for hit in hits)))


def count_risks(session: Session, *, model_sha256: str | None = None,
                scan_id: int | None = None) -> dict[Risk, int]:
    """Number of assessments per risk level (every level present, `low` first)."""
    query = _filtered(select(AssessmentRow.risk, func.count()), model_sha256, scan_id)
    found = dict(session.execute(query.group_by(AssessmentRow.risk)).all())
    return {risk: found.get(risk, 0) for risk in RISK_LEVELS}


def list_top_flagged(session: Session, limit: int = 10, *, min_risk: Risk = "medium",
                     model_sha256: str | None = None,
                     scan_id: int | None = None) -> list[FlaggedAd]:
    """The `limit` highest-scoring assessments with risk `min_risk` or above."""
    levels = RISK_LEVELS[RISK_LEVELS.index(min_risk):]
    query = (_filtered(select(AssessmentRow), model_sha256, scan_id)
             .where(AssessmentRow.risk.in_(levels))
             .order_by(AssessmentRow.score.desc(), AssessmentRow.ad_id)
             .limit(limit))
    flagged = []
    for row in session.scalars(query):
        hits = sorted(row.hits, key=lambda hit: -hit.score)
        flagged.append(FlaggedAd(row.ad_id, row.risk, row.score,  # type: ignore[arg-type]
                                 tuple(dict.fromkeys(hit.indicator_id for hit in hits))))
    return flagged


def find_verdicts(session: Session, ad_ids: Sequence[str],
                  model_sha256: str) -> dict[str, FlaggedAd]:
    """The stored verdicts of the model with this sha256 on those of `ad_ids` it assessed
    (what a resumed scan counts instead of assessing them again)."""
    ids = list(dict.fromkeys(ad_ids))
    found: dict[str, FlaggedAd] = {}
    for start in range(0, len(ids), 500):
        query = select(AssessmentRow).where(AssessmentRow.ad_id.in_(ids[start:start + 500]),
                                            AssessmentRow.model_sha256 == model_sha256)
        for row in session.scalars(query):
            hits = sorted(row.hits, key=lambda hit: -hit.score)
            found[row.ad_id] = FlaggedAd(row.ad_id, row.risk, row.score,  # type: ignore[arg-type]
                                         tuple(dict.fromkeys(h.indicator_id for h in hits)))
    return found


def _filtered(query: Select, model_sha256: str | None, scan_id: int | None) -> Select:
    if model_sha256 is not None:
        query = query.where(AssessmentRow.model_sha256 == model_sha256)
    if scan_id is not None:
        query = query.where(AssessmentRow.scan_id == scan_id)
    return query
