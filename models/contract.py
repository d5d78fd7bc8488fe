"""The `centinela detect` output format (CONTRACT.md §3), built from Assessments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from corpora.ads import RecordError, ad_from_record
from corpora.records import Ad, Assessment
from corpora.sources import SourceRecord
from corpora.taxonomy import Taxonomy
from models.detector import Detector


def assessment_record(assessment: Assessment, taxonomy: Taxonomy) -> dict[str, Any]:
    """One output line of `centinela detect` for a scored ad."""
    return {
        "id": assessment.ad_id,
        "lang": assessment.lang,
        "risk": assessment.risk,
        "score": assessment.score,
        "indicators": [
            {
                "id": hit.id,
                "score": round(hit.score, 4),
                "strength": hit.strength,
                "evidence": [ev.model_dump() for ev in hit.evidence],
                "ictip": [
                    {"unit": h.unit, "variable": h.variable, "label": h.label, "code": h.code,
                     "code_status": h.code_status}
                    for h in taxonomy.get(hit.id).ictip
                ],
            }
            for hit in assessment.hits
        ],
        "explanation": assessment.explanation,
        "model": assessment.model.model_dump(),
    }


def error_record(ad_id: Any, location: str, message: str) -> dict[str, Any]:
    """One output line for an input line that could not be scored."""
    return {"id": ad_id if isinstance(ad_id, (str, int)) and ad_id != "" else None,
            "error": f"{location}: {message}"}


def detect_records(records: Iterable[SourceRecord], detector: Detector, taxonomy: Taxonomy,
                   batch_size: int = 256) -> Iterator[dict[str, Any]]:
    """Score raw records in batches; yield one output dict per record, in input order.

    Texts are kept exactly as given (offsets point into the input); bad records yield
    error dicts and never stop the batch.
    """
    pending: list[tuple[SourceRecord, Ad | None, str | None]] = []

    def flush() -> Iterator[dict[str, Any]]:
        ads = [ad for _, ad, _ in pending if ad is not None]
        assessed = iter(detector.assess(ads)) if ads else iter(())
        for record, ad, error in pending:
            if ad is None:
                ad_id = record.data.get("id") if record.data else None
                yield error_record(ad_id, record.location, error or "unreadable")
            else:
                yield assessment_record(next(assessed), taxonomy)
        pending.clear()

    for record in records:
        if record.error is not None:
            pending.append((record, None, record.error))
        else:
            try:
                pending.append((record, ad_from_record(record.data, normalise=False), None))
            except RecordError as exc:
                pending.append((record, None, str(exc)))
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()
