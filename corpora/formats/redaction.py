"""Contacts out of exported ads: every phone, e-mail and handle in an ad's text, title and
URL becomes its pseudonym in brackets (`[phone:3f9a0c1b2d4e]`), and every span moves
with the text, so exported evidence still points at the right words.

The pseudonym is the contact's HMAC under the install key (corpora.entities), cut to 12
hex digits: the same contact reads the same in every exported ad, so a team can still
see that two ads share a phone, and nobody without the key can tell which phone it is.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from corpora.entities import CONTACT_KINDS, extract_entities
from corpora.records import Ad, AnnotatedAd, Annotation, Assessment, Evidence, IndicatorHit

PSEUDONYM_DIGITS = 12


@dataclass(frozen=True)
class Rewrite:
    """A text with its contacts replaced, and how to move offsets into it."""

    text: str
    _starts: tuple[int, ...]  # old start of each replaced part
    _ends: tuple[int, ...]  # old end
    _new_starts: tuple[int, ...]
    _new_ends: tuple[int, ...]

    def move(self, start: int, end: int) -> tuple[int, int]:
        """New offsets of the old span `start:end`; a span that cuts into a contact grows
        to hold its whole pseudonym."""
        return self._point(start, True), self._point(end, False)

    def _point(self, old: int, is_start: bool) -> int:
        k = bisect_right(self._starts, old) - 1  # the last contact starting at or before
        if k < 0:
            return old
        if old >= self._ends[k]:
            return old - self._ends[k] + self._new_ends[k]
        if old == self._starts[k] or is_start:
            return self._new_starts[k]
        return self._new_ends[k]


def rewrite_contacts(text: str, key: bytes, country: str | None = None) -> Rewrite:
    """`text` with each contact replaced by its bracketed pseudonym."""
    contacts = [e for e in extract_entities(text, country=country, key=key)
                if e.kind in CONTACT_KINDS and e.pseudonym]
    parts, position, shift = [], 0, 0
    starts, ends, new_starts, new_ends = [], [], [], []
    for entity in contacts:
        replacement = f"[{entity.kind}:{entity.pseudonym[:PSEUDONYM_DIGITS]}]"
        parts += [text[position:entity.span.start], replacement]
        starts.append(entity.span.start)
        ends.append(entity.span.end)
        new_starts.append(entity.span.start + shift)
        shift += len(replacement) - (entity.span.end - entity.span.start)
        new_ends.append(entity.span.end + shift)
        position = entity.span.end
    parts.append(text[position:])
    return Rewrite("".join(parts), tuple(starts), tuple(ends), tuple(new_starts),
                   tuple(new_ends))


def _moved(rewrite: Rewrite, spans: list[Evidence]) -> list[Evidence]:
    return [Evidence.from_text(rewrite.text, *rewrite.move(s.start, s.end)) for s in spans]


def pseudonymise_annotated(item: AnnotatedAd, key: bytes) -> AnnotatedAd:
    """The ad with its contacts pseudonymised in text, title and URL, and every span of
    its annotations and prediction moved to match."""
    ad = item.ad
    rewrite = rewrite_contacts(ad.text, key, ad.country)

    def clean(value: str | None) -> str | None:
        return None if value is None else rewrite_contacts(value, key, ad.country).text

    new_ad = Ad(**{**ad.model_dump(exclude={"content_hash"}), "text": rewrite.text,
                   "title": clean(ad.title), "url": clean(ad.url)})
    annotations = [
        Annotation(**{**a.model_dump(exclude={"evidence"}),
                      "evidence": {ind: _moved(rewrite, spans) for ind, spans in a.evidence.items()}})
        for a in item.annotations]
    prediction = None
    if item.prediction is not None:
        p = item.prediction
        hits = [IndicatorHit(**{**h.model_dump(exclude={"evidence"}),
                                "evidence": _moved(rewrite, h.evidence)}) for h in p.hits]
        prediction = Assessment(**{**p.model_dump(exclude={"hits", "explanation"}),
                                   "hits": hits, "explanation": clean(p.explanation) or ""})
    return AnnotatedAd(ad=new_ad, annotations=annotations, prediction=prediction)
