"""spaCy DocBin (`.spacy`): one `Doc` per annotation, ready for `spacy train`.

- `doc.spans["sc"]` holds the evidence spans, labelled with indicator ids (the default key
  of spaCy's `spancat`). spaCy spans cover whole tokens: a span that starts or ends inside
  a token is widened to it (`alignment_mode="expand"`), and its exact offsets are kept in
  `doc.user_data`, so reading the file back gives them again.
- `doc.cats` gives every indicator of the taxonomy 1.0 or 0.0 (`textcat_multilabel`).
- `doc.user_data["centinela"]` keeps the ad's fields, the annotator, the time and the
  risk. A DocBin made elsewhere, without it, still reads: its spans and cats are the
  labels, the ad id is a hash of the text, and the annotator is the name given.

Docs use a blank tokenizer of the ad's language (`xx`, spaCy's multi-language one, for `und`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpora.formats import AdCollector, FormatProblem, ReadResult, ad_fields, make_annotation
from corpora.records import Ad, AnnotatedAd, Annotation, Evidence, stable_ad_id
from corpora.taxonomy import Taxonomy

SPANS_KEY = "sc"
_META = "centinela"


def _nlp(lang: str, cache: dict[str, Any]) -> Any:
    import spacy

    code = lang if lang in ("es", "pt") else "xx"
    if code not in cache:
        cache[code] = spacy.blank(code)
    return cache[code]


def docs_from_annotated(items: Sequence[AnnotatedAd], taxonomy: Taxonomy) -> list[Any]:
    """One Doc per annotation (an ad nobody labelled: one Doc without labels)."""
    cache: dict[str, Any] = {}
    docs = []
    for item in items:
        nlp = _nlp(item.ad.lang, cache)
        for annotation in item.annotations or [None]:
            doc = nlp.make_doc(item.ad.text)
            meta: dict[str, Any] = {"ad": ad_fields(item)}
            if annotation is not None:
                spans, exact = [], []
                for indicator, evidence in annotation.evidence.items():
                    for ev in evidence:
                        span = doc.char_span(ev.start, ev.end, label=indicator,
                                             alignment_mode="expand")
                        if span is not None:
                            spans.append(span)
                        exact.append([indicator, ev.start, ev.end])
                doc.spans[SPANS_KEY] = spans
                doc.cats = {ind: float(ind in annotation.indicators) for ind in taxonomy.ids}
                meta.update(annotator=annotation.annotator, risk=annotation.risk,
                            created_at=annotation.created_at.isoformat(),
                            indicators=list(annotation.indicators), exact=exact)
            doc.user_data[_META] = meta
            docs.append(doc)
    return docs


def write_docbin(items: Sequence[AnnotatedAd], path: Path, taxonomy: Taxonomy) -> int:
    from spacy.tokens import DocBin

    docs = docs_from_annotated(items, taxonomy)
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return len(docs)


def _evidence(doc: Any, meta: dict[str, Any]) -> dict[str, list[Evidence]]:
    """Spans from `doc.spans`, at their exact offsets when user_data recorded them."""
    exact = [(ind, s, e) for ind, s, e in meta.get("exact", [])]
    evidence: dict[str, list[Evidence]] = {}
    for span in doc.spans.get(SPANS_KEY, []):
        start, end = span.start_char, span.end_char
        recorded = next((x for x in exact if x[0] == span.label_
                         and _widened(doc, x[1], x[2]) == (span.start, span.end)), None)
        if recorded is not None:
            exact.remove(recorded)
            start, end = recorded[1], recorded[2]
        evidence.setdefault(span.label_, []).append(Evidence.from_text(doc.text, start, end))
    for indicator, start, end in exact:  # spans no token could hold (empty ones)
        if not doc.text[start:end].strip():
            evidence.setdefault(indicator, []).append(Evidence.from_text(doc.text, start, end))
    return evidence


def _widened(doc: Any, start: int, end: int) -> tuple[int, int] | None:
    """The tokens a character span widens to, as (first, end) token indices."""
    span = doc.char_span(start, end, alignment_mode="expand")
    return None if span is None else (span.start, span.end)


def _read_doc(doc: Any, taxonomy: Taxonomy, annotator: str | None
              ) -> tuple[Ad, Annotation | None]:
    meta = doc.user_data.get(_META, {})
    fields = dict(meta.get("ad") or {})
    ad_id = fields.pop("id", None) or stable_ad_id(doc.text)
    ad = Ad(id=ad_id, text=doc.text, **fields)
    evidence = _evidence(doc, meta)
    marked = [k for k, v in doc.cats.items() if v >= 0.5]
    ordered = meta.get("indicators") or []
    indicators = [*[i for i in ordered if i in marked or i in evidence], *marked]
    return ad, make_annotation(ad, meta.get("annotator") or annotator, indicators, evidence,
                               meta.get("risk"), meta.get("created_at"), taxonomy)


def read_docbin(path: Path, taxonomy: Taxonomy, annotator: str | None = None) -> ReadResult:
    """Read a `.spacy` file; Docs of one ad (by id) become one AnnotatedAd."""
    import spacy
    from spacy.tokens import DocBin

    result = ReadResult()
    try:
        docs = list(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))
    except (ValueError, OSError) as exc:
        result.problems.append(FormatProblem(str(path), f"not a spaCy DocBin: {exc}"))
        return result
    collected = AdCollector()
    for n, doc in enumerate(docs, 1):
        try:
            collected.add(*_read_doc(doc, taxonomy, annotator))
        except (ValueError, TypeError, KeyError) as exc:
            result.problems.append(FormatProblem(f"{path}: doc {n}", str(exc)))
    result.items = collected.items()
    return result
