"""New phrases in the store: what new-wording detection found, and what trainers decided.

`save_phrases` keeps each (language, phrase) once: an open phrase gets the latest
figures, a decided one is never reopened by a later run. A trainer accepts a phrase for
an indicator or dismisses it; both are audited. An accepted phrase becomes rule data when
`centinela wording publish` writes it into a new rules version (with who accepted it,
when, and the ads it came from) and records the file here (`mark_published`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from annotation.learning.wording import NewPhrase
from annotation.store.ads import ad_from_row
from annotation.store.audit import record_audit
from annotation.store.tables import AdRow, AssessmentRow
from annotation.store.trainer_tables import PhraseRow
from corpora.records import Ad, utc_now

PhraseStatus = Literal["open", "accepted", "dismissed"]


@dataclass(frozen=True)
class StoredPhrase:
    id: int
    lang: str
    phrase: str
    surface: str
    target_ads: int
    reference_ads: int
    target_share: float
    reference_share: float
    llr: float
    examples: list[dict[str, Any]]  # {ad_id, start, end}
    found_at: datetime
    status: PhraseStatus
    indicator: str | None
    rule_file: str | None
    decided_by: str | None
    decided_at: datetime | None

    def audit_view(self) -> dict[str, Any]:
        return {"lang": self.lang, "phrase": self.phrase, "status": self.status,
                "indicator": self.indicator, "rule_file": self.rule_file,
                "ads": [e["ad_id"] for e in self.examples]}


def _stored(row: PhraseRow) -> StoredPhrase:
    return StoredPhrase(
        id=row.id, lang=row.lang, phrase=row.phrase, surface=row.surface,
        target_ads=row.target_ads, reference_ads=row.reference_ads,
        target_share=row.target_share, reference_share=row.reference_share, llr=row.llr,
        examples=list(row.examples), found_at=row.found_at, status=row.status,  # type: ignore[arg-type]
        indicator=row.indicator, rule_file=row.rule_file, decided_by=row.decided_by,
        decided_at=row.decided_at)


def save_phrases(session: Session, found: Sequence[NewPhrase]) -> tuple[int, int]:
    """Store what a detection run found; returns (new phrases, open phrases refreshed)."""
    new = refreshed = 0
    now = utc_now()
    for phrase in found:
        figures = dict(surface=phrase.surface, target_ads=phrase.target_ads,
                       reference_ads=phrase.reference_ads, target_share=phrase.target_share,
                       reference_share=phrase.reference_share, llr=phrase.llr,
                       examples=[{"ad_id": o.ad_id, "start": o.start, "end": o.end}
                                 for o in phrase.examples], found_at=now)
        row = session.scalar(select(PhraseRow).where(PhraseRow.lang == phrase.lang,
                                                     PhraseRow.phrase == phrase.phrase))
        if row is None:
            session.add(PhraseRow(lang=phrase.lang, phrase=phrase.phrase, status="open",
                                  **figures))
            new += 1
        elif row.status == "open":
            for key, value in figures.items():
                setattr(row, key, value)
            refreshed += 1
    session.flush()
    return new, refreshed


def list_phrases(session: Session, *, status: PhraseStatus | None = "open",
                 lang: str | None = None, limit: int = 200) -> list[StoredPhrase]:
    """Phrases, highest G2 first (all statuses when `status` is None)."""
    query = select(PhraseRow).order_by(PhraseRow.llr.desc(), PhraseRow.id).limit(limit)
    if status is not None:
        query = query.where(PhraseRow.status == status)
    if lang is not None:
        query = query.where(PhraseRow.lang == lang)
    return [_stored(row) for row in session.scalars(query)]


def load_phrase(session: Session, phrase_id: int) -> StoredPhrase | None:
    row = session.get(PhraseRow, phrase_id)
    return None if row is None else _stored(row)


def decide_phrase(session: Session, phrase_id: int, decision: Literal["accepted", "dismissed"],
                  *, actor: str, indicator: str | None = None) -> StoredPhrase:
    """Accept a phrase for `indicator`, or dismiss it (audited). A published phrase is
    final: its rule version exists and is never edited."""
    row = session.get(PhraseRow, phrase_id)
    if row is None:
        raise ValueError(f"no phrase {phrase_id}")
    if row.rule_file is not None:
        raise ValueError(f"phrase {phrase_id} is already in {row.rule_file}; publish a new "
                         "rules version to change it")
    if decision == "accepted" and not indicator:
        raise ValueError("accepting a phrase needs the indicator it shows")
    before = _stored(row).audit_view()
    row.status = decision
    row.indicator = indicator if decision == "accepted" else None
    row.decided_by = actor
    row.decided_at = utc_now()
    session.flush()
    stored = _stored(row)
    action = {"accepted": "wording.accept", "dismissed": "wording.dismiss"}[decision]
    record_audit(session, actor, action, f"phrase:{phrase_id}", before=before,
                 after=stored.audit_view())
    return stored


def mark_published(session: Session, phrase_ids: Sequence[int], rule_file: str, *,
                   actor: str) -> None:
    """Record the rules file accepted phrases went into (audited)."""
    for phrase_id in phrase_ids:
        row = session.get_one(PhraseRow, phrase_id)
        if row.status != "accepted":
            raise ValueError(f"phrase {phrase_id} is {row.status}, not accepted")
        before = _stored(row).audit_view()
        row.rule_file = rule_file
        session.flush()
        record_audit(session, actor, "wording.publish", f"phrase:{phrase_id}", before=before,
                     after=_stored(row).audit_view())


def flagged_ads_between(session: Session, since: datetime, until: datetime, *,
                        lang: str, min_score: float) -> list[Ad]:
    """The ads of `lang` assessed in [since, until) as flagged (medium or high risk) or
    near the threshold (score at least `min_score`): one window of new-wording detection."""
    flagged = (select(AssessmentRow.ad_id)
               .where(AssessmentRow.created_at >= since, AssessmentRow.created_at < until,
                      or_(AssessmentRow.risk.in_(("medium", "high")),
                          AssessmentRow.score >= min_score))
               .distinct())
    rows = session.scalars(select(AdRow).where(AdRow.id.in_(flagged), AdRow.lang == lang)
                           .order_by(AdRow.id))
    return [ad_from_row(row) for row in rows]
