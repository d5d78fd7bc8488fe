"""Entities of stored ads: phones, e-mails, handles, URLs and amounts, by span.

Privacy choice: raw contact values are stored **not at all**. A contact's row holds its
kind, its span in the ad's stored text and its HMAC pseudonym (for linking ads); the raw
value exists only inside the ad text itself. So there is one copy of a contact to guard,
mask and erase: when retention or an erasure request redacts an ad's text, its contacts
go with it, while pseudonyms keep linking the ad to its cluster. (An encrypted second
copy would add a key to manage and a second place to erase, and protect nothing the
stored text does not already hold.) Amounts are not personal and keep their normalised
form ("3000 USD/month").

Showing contacts in clear to a person, or finding ads by a contact, goes through
`annotation.masking.unmask_contacts` and `lookup_contact` (role, reason, audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotation.store.tables import AdEntityRow
from corpora.records import Entity

_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class StoredEntity:
    """An entity as stored: no raw value (see the module docstring)."""

    id: int
    ad_id: str
    kind: str
    start: int
    end: int
    pseudonym: str | None
    normalised: str | None


def save_entities(session: Session, entities_by_ad: Mapping[str, Sequence[Entity]]) -> int:
    """Store the entities of ads (spans into their stored text); returns how many."""
    rows = [
        {"ad_id": ad_id, "kind": entity.kind, "start": entity.span.start,
         "end": entity.span.end, "pseudonym": entity.pseudonym,
         "normalised": entity.normalised if entity.kind == "money" else None}
        for ad_id, entities in entities_by_ad.items() for entity in entities
    ]
    if rows:
        session.execute(AdEntityRow.__table__.insert(), rows)
    return len(rows)


def load_entities(session: Session, ad_id: str) -> list[StoredEntity]:
    """The entities of one ad, in text order."""
    query = select(AdEntityRow).where(AdEntityRow.ad_id == ad_id).order_by(AdEntityRow.start)
    return [StoredEntity(row.id, row.ad_id, row.kind, row.start, row.end, row.pseudonym,
                         row.normalised) for row in session.scalars(query)]


def count_ads_by_pseudonym(session: Session, pseudonyms: Iterable[str]) -> dict[str, int]:
    """How many stored ads hold each pseudonym (those held by none are left out)."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(pseudonyms))):
        query = (select(AdEntityRow.pseudonym, func.count(AdEntityRow.ad_id.distinct()))
                 .where(AdEntityRow.pseudonym.in_(chunk)).group_by(AdEntityRow.pseudonym))
        found.update(session.execute(query).all())
    return found


def find_ads_by_pseudonym(session: Session, pseudonyms: Iterable[str]) -> dict[str, set[str]]:
    """The stored ads holding each pseudonym."""
    found: dict[str, set[str]] = {}
    for chunk in _chunks(list(dict.fromkeys(pseudonyms))):
        query = (select(AdEntityRow.pseudonym, AdEntityRow.ad_id)
                 .where(AdEntityRow.pseudonym.in_(chunk)))
        for pseudonym, ad_id in session.execute(query):
            found.setdefault(pseudonym, set()).add(ad_id)
    return found


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _IDS_PER_QUERY):
        yield items[start:start + _IDS_PER_QUERY]
