"""Reviewer decisions as training data: one record per decision with the ad's id,
language and source, the corrected indicators, their evidence spans, the risk and the
note. Contact details in span texts and notes are pseudonymised by default, as in every
export (corpora.formats.redaction: the contact's HMAC under the install key); offsets
still point into the stored ad text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.reviews import decision_from_row
from annotation.store.tables import AdRow, ReviewDecisionRow
from corpora.formats.redaction import rewrite_contacts
from corpora.records import ReviewDecision

_BATCH = 1000


def iter_decisions(session: Session, key: bytes, *, raw_contacts: bool = False,
                   history: bool = False) -> Iterator[dict[str, Any]]:
    """Export records, by ad id: the latest decision per ad, or every decision with
    `history`. With `raw_contacts`, contact details stay as written (audit that)."""
    query = (select(ReviewDecisionRow, AdRow.lang, AdRow.source, AdRow.country)
             .join(AdRow, AdRow.id == ReviewDecisionRow.ad_id)
             .order_by(ReviewDecisionRow.ad_id, ReviewDecisionRow.created_at,
                       ReviewDecisionRow.id)
             .execution_options(yield_per=_BATCH))
    pending: dict[str, Any] | None = None
    for row, lang, source, country in session.execute(query):
        record = _record(decision_from_row(row), lang, source, country, key, raw_contacts)
        if history:
            yield record
        else:
            if pending is not None and pending["ad_id"] != record["ad_id"]:
                yield pending
            pending = record
    if pending is not None:
        yield pending


def decisions_dataset(records: list[dict[str, Any]]) -> Any:
    """The records as a Hugging Face `datasets.Dataset` with explicit features; spans
    become a list of {indicator, start, end, text}."""
    from datasets import Dataset, Features, Sequence, Value

    features = Features({
        "ad_id": Value("string"), "lang": Value("string"), "source": Value("string"),
        "decision": Value("string"), "reviewer": Value("string"),
        "created_at": Value("string"), "risk": Value("string"),
        "model_sha256": Value("string"), "indicators": Sequence(Value("string")),
        "spans": [{"indicator": Value("string"), "start": Value("int32"),
                   "end": Value("int32"), "text": Value("string")}],
        "note": Value("string"),
    })
    rows = [{**{key: value for key, value in record.items() if key != "evidence"},
             "indicators": record["indicators"] or [],
             "spans": [{"indicator": indicator, **span}
                       for indicator, spans in record["evidence"].items() for span in spans]}
            for record in records]
    return Dataset.from_list(rows, features=features)


def _record(decision: ReviewDecision, lang: str, source: str, country: str | None, key: bytes,
            raw_contacts: bool) -> dict[str, Any]:
    def clean(text: str) -> str:
        return text if raw_contacts else rewrite_contacts(text, key, country).text

    return {
        "ad_id": decision.ad_id, "lang": lang, "source": source,
        "decision": decision.decision, "reviewer": decision.reviewer,
        "created_at": decision.created_at.isoformat(), "risk": decision.risk,
        "model_sha256": decision.model_sha256, "indicators": decision.indicators,
        "evidence": {indicator: [{"start": span.start, "end": span.end,
                                  "text": clean(span.text)} for span in spans]
                     for indicator, spans in decision.evidence.items()},
        "note": clean(decision.note),
    }
