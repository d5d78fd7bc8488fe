"""Saving and loading ads. An ad is stored once, by id, and its text is never rewritten:
evidence offsets of its assessments point into exactly that text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.db import insert_new
from annotation.store.tables import AdRow
from corpora.records import Ad
from corpora.sources.ads import find_unstorable_text

AdOutcome = Literal["new", "seen", "changed"]
# Well under SQLite's and PostgreSQL's limits on bound parameters per statement.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class SavedAds:
    """What `save_ads` did with each ad, in input order.

    `new`: stored now. `seen`: already stored with the same text. `changed`: an ad with
    this id is stored with another text; the stored one is kept, so an assessment of the
    new text must not be stored against it.
    """

    outcomes: tuple[AdOutcome, ...]

    @property
    def new(self) -> int:
        return self.outcomes.count("new")

    @property
    def seen(self) -> int:
        return self.outcomes.count("seen")

    @property
    def changed(self) -> int:
        return self.outcomes.count("changed")


def save_ads(session: Session, ads: Sequence[Ad], scan_id: int | None = None) -> SavedAds:
    """Insert the ads whose id is not stored yet; skip the others (also repeats in `ads`).

    Safe to run twice and from two processes at once: the id is the primary key. Raises
    ValueError, storing nothing, if an ad cannot be stored (see `find_unstorable_text`).
    """
    for ad in ads:
        if reason := find_unstorable_text(ad):
            raise ValueError(f"ad {ad.id!r} cannot be stored: {reason}")
    stored = find_content_hashes(session, [ad.id for ad in ads])
    outcomes: list[AdOutcome] = []
    to_insert: dict[str, Ad] = {}
    for ad in ads:
        if ad.id in stored or ad.id in to_insert:
            known = stored.get(ad.id) or to_insert[ad.id].content_hash
            outcomes.append("seen" if known == ad.content_hash else "changed")
        else:
            to_insert[ad.id] = ad
            outcomes.append("new")
    inserted: set[str] = set()
    if to_insert:
        statement = insert_new(session, AdRow.__table__, ["id"]).returning(AdRow.id)
        rows = [_row_values(ad, scan_id) for ad in to_insert.values()]
        inserted = set(session.execute(statement, rows).scalars())
    if len(inserted) < len(to_insert):
        # Another process stored some of them between our check and our insert.
        raced = find_content_hashes(session, set(to_insert) - inserted)
        outcomes = [
            ("seen" if raced[ad.id] == ad.content_hash else "changed") if ad.id in raced
            else outcome
            for ad, outcome in zip(ads, outcomes, strict=True)
        ]
    return SavedAds(tuple(outcomes))


def load_ad(session: Session, ad_id: str) -> Ad | None:
    """The stored ad with this id, or None."""
    row = session.get(AdRow, ad_id)
    return None if row is None else ad_from_row(row)


def find_content_hashes(session: Session, ad_ids: Iterable[str]) -> dict[str, str]:
    """Stored ad ids among `ad_ids`, with their content hashes."""
    ids = list(dict.fromkeys(ad_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        query = select(AdRow.id, AdRow.content_hash).where(AdRow.id.in_(chunk))
        found.update(session.execute(query).all())
    return found


def find_fetch_times(session: Session, ad_ids: Iterable[str]) -> dict[str, datetime | None]:
    """Stored ad ids among `ad_ids`, with when they were fetched (None if not known)."""
    ids = list(dict.fromkeys(ad_ids))
    found: dict[str, datetime | None] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        found.update(session.execute(select(AdRow.id, AdRow.fetched_at)
                                     .where(AdRow.id.in_(chunk))).all())
    return found


def ad_from_row(row: AdRow) -> Ad:
    return Ad(id=row.id, source=row.source, url=row.url, lang=row.lang, country=row.country,
              title=row.title, text=row.text, published_at=row.published_at,
              fetched_at=row.fetched_at, content_hash=row.content_hash, raw_ref=row.raw_ref)


def _row_values(ad: Ad, scan_id: int | None) -> dict[str, object]:
    return {**ad.model_dump(), "first_seen_scan": scan_id}
