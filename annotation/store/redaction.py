"""Redacting stored ads, for retention (annotation/retention.py) and erasure requests
(annotation/erasure.py): the one place that rewrites ad content after it is stored.

What goes, and what stays:

- `scope="text"`: the ad's text becomes a run of FILL characters of the same length, its
  title, URL and raw reference become empty. Every copy of the ad's words goes with it:
  the evidence quotes of its assessments, of review decisions, annotations and
  adjudications, and of the audit rows about the ad (they copy decisions and labels), and
  the assessments' explanations (which quote the evidence). Offsets stay valid (the
  filler has the text's length), so every indicator id, span, score, decision and label
  still loads and counts.
- `scope="contacts"`: only the contact details in the text are filled (the spans of its
  stored contact entities, optionally only those with given pseudonyms), and contacts in
  the title, URL, explanations and quotes with them.
- Notes people wrote (decisions, annotations, adjudications, and their copies in the
  audit log) lose every contact detail in them (`clear_notes` empties them instead, for
  an erasure request: a note about a person's ad is about that person).

Kept: ids, content hashes, scores, indicator ids, spans' offsets, decisions, labels,
audit rows, MinHash signatures, LSH bands, clusters and contact pseudonyms, so that
statistics, re-post detection and clusters keep working on redacted ads.

Decisions, annotations, adjudications and audit rows are append-only for people and the
ORM refuses to change them; redaction rewrites their quoted content (never who, when,
what was decided) through SQL statements, and is itself audited by its caller.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from annotation.store.tables import (
    AdEntityRow,
    AdjudicationRow,
    AdRow,
    AnnotationRow,
    AssessmentRow,
    AuditRow,
    HitRow,
    ReviewDecisionRow,
)
from corpora.entities import CONTACT_KINDS, extract_entities

FILL = "\u2588"  # █: what redacted characters become (one per character, so offsets hold)
REMOVED = "[contact removed]"
Scope = Literal["text", "contacts"]
RedactionKind = Literal["contacts", "retention", "erasure"]
_IDS_PER_QUERY = 500
# Audit actions whose rows copy a decision or labels, with their notes.
_NOTE_ACTIONS = ("review.decide", "annotation.label", "annotation.adjudicate")


@dataclass
class RedactionCounts:
    """How many rows a redaction rewrote, per kind (counts only: they go to the audit)."""

    ads: int = 0
    contacts: int = 0
    assessments: int = 0
    decisions: int = 0
    annotations: int = 0
    adjudications: int = 0
    audit_rows: int = 0
    notes: int = 0

    def add(self, other: RedactionCounts) -> None:
        for name in self.as_dict():
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True)
class _Ad:
    id: str
    text: str
    country: str | None
    contacts: list[tuple[int, int, str | None]] = field(default_factory=list)


def redact_ads(session: Session, ad_ids: Iterable[str], *, scope: Scope,
               kind: RedactionKind, now: datetime, clear_notes: bool = False,
               pseudonyms: Collection[str] | None = None) -> RedactionCounts:
    """Redact the stored ads `ad_ids` (see the module docstring); returns the counts.

    With `scope="contacts"`, `pseudonyms` limits the contacts filled to those (None: all
    of the ad's contacts). An ad redacted in full stays so; redacting it again changes
    nothing but its notes.
    """
    counts = RedactionCounts()
    ids = list(dict.fromkeys(ad_ids))
    for start in range(0, len(ids), _IDS_PER_QUERY):
        counts.add(_redact_chunk(session, ids[start:start + _IDS_PER_QUERY], scope, kind, now,
                                 clear_notes, pseudonyms))
    return counts


def scrub_notes(session: Session, pseudonyms: Collection[str], key: bytes) -> int:
    """Remove, from every note in the store (decisions, annotations, adjudications and
    their audit copies), the contacts whose HMAC pseudonym (under `key`) is in
    `pseudonyms`; returns how many notes changed. For an erasure request: a reviewer may
    have written the contact into a note on another ad."""
    wanted = set(pseudonyms)

    def scrub(note: str, country: str | None) -> str:
        found = [entity for entity in extract_entities(note, country=country, key=key)
                 if entity.pseudonym in wanted]
        return _replace_spans(note, [(e.span.start, e.span.end) for e in found], REMOVED)

    changed = 0
    for table in (ReviewDecisionRow, AnnotationRow, AdjudicationRow):
        query = (select(table.id, table.note, AdRow.country).join(AdRow, AdRow.id == table.ad_id)
                 .where(table.note != ""))
        for row_id, note, country in session.execute(query).all():
            if (new := scrub(note, country)) != note:
                session.execute(update(table.__table__).where(table.__table__.c.id == row_id)
                                .values(note=new))
                changed += 1
    audit = AuditRow.__table__
    query = select(audit.c.id, audit.c.before, audit.c.after).where(
        audit.c.action.in_(_NOTE_ACTIONS))
    for row_id, before, after in session.execute(query).all():
        new_before = _walk(before, None, lambda note: scrub(note, None))
        new_after = _walk(after, None, lambda note: scrub(note, None))
        if (new_before, new_after) != (before, after):
            session.execute(update(audit).where(audit.c.id == row_id)
                            .values(before=new_before, after=new_after))
            changed += 1
    return changed


def scrub_contacts(text: str, country: str | None = None) -> str:
    """`text` with every contact detail (phone, e-mail, handle) replaced by REMOVED."""
    found = [entity for entity in extract_entities(text, country=country)
             if entity.kind in CONTACT_KINDS]
    return _replace_spans(text, [(e.span.start, e.span.end) for e in found], REMOVED)


def _redact_chunk(session: Session, ids: list[str], scope: Scope, kind: RedactionKind,
                  now: datetime, clear_notes: bool,
                  pseudonyms: Collection[str] | None) -> RedactionCounts:
    counts = RedactionCounts()
    rows = session.execute(select(AdRow.id, AdRow.text, AdRow.title, AdRow.url, AdRow.country,
                                  AdRow.redaction).where(AdRow.id.in_(ids))).all()
    ads: dict[str, _Ad] = {}
    for ad_id, text, _, _, country, _ in rows:
        ads[ad_id] = _Ad(ad_id, text, country)
    entity_query = select(AdEntityRow.ad_id, AdEntityRow.start, AdEntityRow.end,
                          AdEntityRow.pseudonym).where(AdEntityRow.ad_id.in_(ids),
                                                       AdEntityRow.pseudonym.is_not(None))
    for ad_id, start, end, pseudonym in session.execute(entity_query):
        if pseudonyms is None or pseudonym in pseudonyms:
            ads[ad_id].contacts.append((start, end, pseudonym))

    new_texts: dict[str, str] = {}
    literals: dict[str, list[str]] = {}
    for ad_id, text, title, url, country, redaction in rows:
        ad = ads[ad_id]
        literals[ad_id] = [text[start:end] for start, end, _ in ad.contacts
                           if len(text[start:end].strip()) >= 4]
        values: dict[str, Any]
        if scope == "text":
            new_text = FILL * len(text)
            values = {"text": new_text, "title": None, "url": None, "raw_ref": None,
                      "redacted_at": now, "redaction": kind}
            counts.contacts += len(ad.contacts)
        else:
            new_text = _replace_spans(text, [(s, e) for s, e, _ in ad.contacts], None)
            values = {"text": new_text,
                      "title": _scrub_literal(scrub_contacts(title, country), literals[ad_id])
                      if title else title,
                      "url": None if url and (scrub_contacts(url, country) != url or any(
                          value in url for value in literals[ad_id])) else url}
            if redaction is None:
                values |= {"redacted_at": now, "redaction": kind}
            counts.contacts += sum(text[s:e] != new_text[s:e] for s, e, _ in ad.contacts)
        new_texts[ad_id] = new_text
        if new_text != text or any(values.get(name) != value for name, value
                                   in (("title", title), ("url", url))):
            counts.ads += 1
        session.execute(update(AdRow.__table__).where(AdRow.__table__.c.id == ad_id)
                        .values(**values))

    def note_of(ad_id: str) -> Callable[[str], str]:
        if clear_notes:
            return lambda note: ""
        country = ads[ad_id].country
        return lambda note: _scrub_literal(scrub_contacts(note, country), literals[ad_id])

    # Assessments: explanations quote the evidence; hits hold it.
    for assessment_id, ad_id, explanation in session.execute(
            select(AssessmentRow.id, AssessmentRow.ad_id, AssessmentRow.explanation)
            .where(AssessmentRow.ad_id.in_(ids))).all():
        new_explanation = "" if scope == "text" else _scrub_literal(explanation,
                                                                    literals[ad_id])
        changed = new_explanation != explanation
        if changed:
            session.execute(update(AssessmentRow.__table__)
                            .where(AssessmentRow.__table__.c.id == assessment_id)
                            .values(explanation=new_explanation))
        for hit_id, evidence in session.execute(select(HitRow.id, HitRow.evidence).where(
                HitRow.assessment_id == assessment_id)).all():
            new_evidence = _walk(evidence, new_texts[ad_id], None)
            if new_evidence != evidence:
                session.execute(update(HitRow.__table__).where(HitRow.__table__.c.id == hit_id)
                                .values(evidence=new_evidence))
                changed = True
        counts.assessments += changed

    for table, name in ((ReviewDecisionRow, "decisions"), (AnnotationRow, "annotations"),
                        (AdjudicationRow, "adjudications")):
        core: Table = table.__table__  # type: ignore[assignment]
        for row_id, ad_id, evidence, note in session.execute(
                select(core.c.id, core.c.ad_id, core.c.evidence, core.c.note)
                .where(core.c.ad_id.in_(ids))).all():
            new_evidence = _walk(evidence, new_texts[ad_id], None)
            new_note = note_of(ad_id)(note) if note else note
            if (new_evidence, new_note) != (evidence, note):
                session.execute(update(core).where(core.c.id == row_id)
                                .values(evidence=new_evidence, note=new_note))
                setattr(counts, name, getattr(counts, name) + 1)
                counts.notes += new_note != note

    audit: Table = AuditRow.__table__  # type: ignore[assignment]
    targets = {f"ad:{ad_id}": ad_id for ad_id in ids}
    for row_id, target, before, after in session.execute(
            select(audit.c.id, audit.c.target, audit.c.before, audit.c.after)
            .where(audit.c.target.in_(targets))).all():
        ad_id = targets[target]
        new_before = _walk(before, new_texts[ad_id], note_of(ad_id))
        new_after = _walk(after, new_texts[ad_id], note_of(ad_id))
        if (new_before, new_after) != (before, after):
            session.execute(update(audit).where(audit.c.id == row_id)
                            .values(before=new_before, after=new_after))
            counts.audit_rows += 1
    return counts


def _walk(value: Any, text: str | None, note: Callable[[str], str] | None) -> Any:
    """A JSON value with every evidence span's quote re-read from the (redacted) `text`
    and every "note" passed through `note`; parts neither touches are returned as is."""
    if isinstance(value, dict):
        if text is not None and set(value) == {"start", "end", "text"}:
            start, end = int(value["start"]), int(value["end"])
            quote = text[start:end]
            return {**value, "text": quote + FILL * (end - start - len(quote))}
        return {key: (note(item) if key == "note" and note is not None
                      and isinstance(item, str) else _walk(item, text, note))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, text, note) for item in value]
    return value


def _replace_spans(text: str, spans: Sequence[tuple[int, int]], replacement: str | None) -> str:
    """`text` with each span replaced by `replacement`, or by FILL per character (None)."""
    parts, position = [], 0
    for start, end in sorted(spans):
        if start < position:
            start = position
        if end <= start:
            continue
        parts += [text[position:start],
                  FILL * (end - start) if replacement is None else replacement]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _scrub_literal(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, REMOVED)
    return text
