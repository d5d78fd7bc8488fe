"""doccano JSONL (sequence labelling): one line per annotation.

    {"text": "...", "label": [[start, end, "FEE_OR_DEBT"], ...], "cats": ["FEE_OR_DEBT"],
     "risk": "high", "annotator": "ana", "created_at": "...", "ad_id": "es-001", "lang": "es"}

`label` holds the spans as doccano imports and exports them; the other keys are kept by
doccano as metadata and make the round trip exact. An ad nobody labelled yet is one line
with an empty `label` and no `risk`, ready to be labelled in doccano. Reading also takes
doccano's newer span shape (`entities: [{start_offset, end_offset, label}]`) and a plain
doccano export without `annotator` (pass the name) or `ad_id` (the line's `id`, else a
hash of the text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpora.formats import AdCollector, FormatProblem, ReadResult, ad_fields, make_annotation
from corpora.records import Ad, AnnotatedAd, Annotation, Evidence, stable_ad_id
from corpora.sources.jsonl import read_jsonl
from corpora.taxonomy import Taxonomy


def lines_from_annotated(item: AnnotatedAd) -> list[dict[str, Any]]:
    """The doccano lines of one ad: one per annotation, or one unlabelled line."""
    meta = {("ad_id" if k == "id" else k): v for k, v in ad_fields(item).items()}
    if not item.annotations:
        return [{"text": item.ad.text, "label": [], **meta}]
    return [{"text": item.ad.text,
             "label": [[s.start, s.end, ind] for ind, spans in a.evidence.items() for s in spans],
             "cats": list(a.indicators), "risk": a.risk, "annotator": a.annotator,
             "created_at": a.created_at.isoformat(), **meta}
            for a in item.annotations]


def write_doccano(items: Sequence[AnnotatedAd], path: Path, taxonomy: Taxonomy) -> int:
    written = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for item in items:
            for line in lines_from_annotated(item):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                written += 1
    return written


def _spans(data: dict[str, Any]) -> list[tuple[int, int, str]]:
    if "entities" in data:
        return [(int(e["start_offset"]), int(e["end_offset"]), str(e["label"]))
                for e in data["entities"]]
    return [(int(s), int(e), str(label)) for s, e, label in data.get("label", data.get("labels", []))]


def _line(data: dict[str, Any], taxonomy: Taxonomy, annotator: str | None
          ) -> tuple[Ad, Annotation | None]:
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("no 'text'")
    ad_id = data.get("ad_id") or data.get("id") or stable_ad_id(text)
    fields = {k: v for k, v in data.items() if k in Ad.model_fields and k not in ("id", "text")}
    ad = Ad(id=str(ad_id), text=text, **fields)
    spans = _spans(data)
    evidence: dict[str, list[Evidence]] = {}
    for start, end, label in spans:
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span {start}-{end} is outside the text ({len(text)} characters)")
        evidence.setdefault(label, []).append(Evidence.from_text(text, start, end))
    return ad, make_annotation(ad, data.get("annotator") or annotator, data.get("cats", []),
                               evidence, data.get("risk"), data.get("created_at"), taxonomy)


def read_doccano(path: Path, taxonomy: Taxonomy, annotator: str | None = None) -> ReadResult:
    """Read doccano JSONL; lines of one ad (by `ad_id`) become one AnnotatedAd."""
    result, collected = ReadResult(), AdCollector()
    with Path(path).open("rb") as stream:
        for record in read_jsonl(stream, str(path)):
            if record.error is not None or record.data is None:
                result.problems.append(FormatProblem(record.location, record.error or "empty"))
                continue
            try:
                collected.add(*_line(record.data, taxonomy, annotator))
            except (ValueError, TypeError, KeyError) as exc:
                result.problems.append(FormatProblem(record.location, str(exc)))
    result.items = collected.items()
    return result
