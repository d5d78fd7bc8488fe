"""The output line of `centinela detect` (CONTRACT.md §3), built from the record schema.

The command line and any JSON API emit this one shape: a scored ad, or an error for an
input line that could not be scored.
"""

from __future__ import annotations

from typing import Any

from corpora.records import Assessment
from corpora.taxonomy import Taxonomy


def assessment_record(assessment: Assessment, taxonomy: Taxonomy,
                      ad_id: str | int | None = None) -> dict[str, Any]:
    """One output line for a scored ad; `ad_id` (default: the assessment's) is the id as
    the input gave it."""
    return {
        "id": assessment.ad_id if ad_id is None else ad_id,
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
