"""Saving and loading ads. An ad's stored text is never rewritten: evidence offsets,
entity spans and review decisions point into exactly that text.

A source may send a new text under an id it sent before (an edited offer). That text is
a revision: stored as a row of its own, `revision_id(id, n)` for the n-th text (the first
keeps the id itself), with `revision_of` naming the first row. Every revision is kept,
assessed and linked like any ad; the review queue follows the latest one
(annotation/queue.py). Ids are compared as text: a JSON number 3 and a string "3" are the
same id (a CSV export of the same source cannot tell them apart), so a different text
under them is a new revision, not a second ad.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from annotation.store.db import insert_new
from annotation.store.tables import AdRow
from corpora.records import Ad
from corpora.sources.ads import find_unstorable_text

AdOutcome = Literal["new", "seen", "changed"]
# Well under SQLite's and PostgreSQL's limits on bound parameters per statement.
_IDS_PER_QUERY = 500
# Rounds of `save_ads` when other processes store revisions of the same ids meanwhile.
_RACE_ROUNDS = 5


class StoredRevision(NamedTuple):
    """The latest stored text of a source's ad id: the row it is in, its number, its hash."""

    row_id: str
    revision: int
    content_hash: str


@dataclass(frozen=True)
class SavedAds:
    """What `save_ads` did with each ad, in input order, and where each text is stored.

    `new`: the first text under this id, stored now. `seen`: the same text as the id's
    latest revision, stored before. `changed`: another text than the latest revision,
    stored now as a new revision. `row_ids[i]` is the row holding ad i's text: what its
    assessment, entities and links must point at.
    """

    outcomes: tuple[AdOutcome, ...]
    row_ids: tuple[str, ...]

    @property
    def new(self) -> int:
        return self.outcomes.count("new")

    @property
    def seen(self) -> int:
        return self.outcomes.count("seen")

    @property
    def changed(self) -> int:
        return self.outcomes.count("changed")

    def changed_ids(self, ads: Sequence[Ad]) -> tuple[str, ...]:
        """The source ids among `ads` (the ads saved) that came with a new text, once each."""
        return tuple(dict.fromkeys(ad.id for ad, outcome in zip(ads, self.outcomes, strict=True)
                                   if outcome == "changed"))


def revision_id(ad_id: str, revision: int) -> str:
    """The row id of the `revision`-th text sent under `ad_id` (the first is `ad_id`)."""
    return ad_id if revision == 1 else f"{ad_id}@v{revision}"


def save_ads(session: Session, ads: Sequence[Ad], scan_id: int | None = None) -> SavedAds:
    """Store each ad whose text is not the latest stored under its id: the first text as
    a new ad, a different one as a new revision; skip the others (also repeats in `ads`).

    Safe to run twice and from two processes at once: row ids are primary keys, and a
    revision number another process took meanwhile is planned again. Raises ValueError,
    storing nothing, if an ad cannot be stored (see `find_unstorable_text`).
    """
    for ad in ads:
        if reason := find_unstorable_text(ad):
            raise ValueError(f"ad {ad.id!r} cannot be stored: {reason}")
    outcomes: list[AdOutcome | None] = [None] * len(ads)
    row_ids: list[str] = [""] * len(ads)
    todo = list(range(len(ads)))
    for _ in range(_RACE_ROUNDS):
        latest, taken = _find_revisions(session, {ads[i].id for i in todo})
        planned: dict[str, dict[str, object]] = {}
        for index in todo:
            ad = ads[index]
            known = latest.get(ad.id)
            if known is not None and known.content_hash == ad.content_hash:
                outcomes[index], row_ids[index] = "seen", known.row_id
                continue
            number = 1 if known is None else known.revision + 1
            while revision_id(ad.id, number) in taken:  # another id's revision holds it
                number += 1
            row_id = revision_id(ad.id, number)
            taken.add(row_id)
            latest[ad.id] = StoredRevision(row_id, number, ad.content_hash)
            planned[row_id] = _row_values(ad, scan_id, row_id, number)
            outcomes[index], row_ids[index] = ("new" if number == 1 else "changed"), row_id
        if not planned:
            break
        statement = insert_new(session, AdRow.__table__, ["id"]).returning(AdRow.id)
        inserted = set(session.execute(statement, list(planned.values())).scalars())
        # Another process stored some of these rows first: plan those ids' ads again.
        lost = {ads[i].id for i in todo if row_ids[i] in planned and row_ids[i] not in inserted}
        todo = [i for i in todo if ads[i].id in lost]
        if not todo:
            break
    else:
        raise RuntimeError("other processes kept storing revisions of the same ads; "
                           "scan again")
    return SavedAds(tuple(outcomes), tuple(row_ids))  # type: ignore[arg-type]


def find_latest_revisions(session: Session, ad_ids: Iterable[str]) -> dict[str, StoredRevision]:
    """The latest stored revision of each source ad id among `ad_ids` that is stored."""
    return _find_revisions(session, ad_ids)[0]


def load_ad(session: Session, ad_id: str) -> Ad | None:
    """The stored ad with this id, or None."""
    row = session.get(AdRow, ad_id)
    return None if row is None else ad_from_row(row)


def find_fetch_times(session: Session, ad_ids: Iterable[str]) -> dict[str, datetime | None]:
    """Stored source ad ids among `ad_ids`, with when their latest revision was fetched
    (None if not known)."""
    ids = list(dict.fromkeys(ad_ids))
    found: dict[str, tuple[int, datetime | None]] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        query = select(AdRow.id, AdRow.revision_of, AdRow.revision, AdRow.fetched_at).where(
            or_(AdRow.id.in_(chunk), AdRow.revision_of.in_(chunk)))
        for row_id, revision_of, revision, fetched_at in session.execute(query):
            source_id = revision_of or row_id
            if source_id not in found or found[source_id][0] < revision:
                found[source_id] = (revision, fetched_at)
    return {ad_id: found[ad_id][1] for ad_id in ids if ad_id in found}


def ad_from_row(row: AdRow) -> Ad:
    return Ad(id=row.id, source=row.source, url=row.url, lang=row.lang, country=row.country,
              title=row.title, text=row.text, published_at=row.published_at,
              fetched_at=row.fetched_at, content_hash=row.content_hash, raw_ref=row.raw_ref)


def _find_revisions(session: Session, ad_ids: Iterable[str]
                    ) -> tuple[dict[str, StoredRevision], set[str]]:
    """The latest revision of each stored source id among `ad_ids`, and every row id read
    (so that a new revision never takes a row id some other ad holds)."""
    ids = list(dict.fromkeys(ad_ids))
    latest: dict[str, StoredRevision] = {}
    taken: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        wanted = set(chunk)
        query = select(AdRow.id, AdRow.revision_of, AdRow.revision, AdRow.content_hash).where(
            or_(AdRow.id.in_(chunk), AdRow.revision_of.in_(chunk)))
        for row_id, revision_of, revision, content_hash in session.execute(query):
            taken.add(row_id)
            source_id = revision_of or row_id
            if source_id in wanted and (source_id not in latest
                                       or latest[source_id].revision < revision):
                latest[source_id] = StoredRevision(row_id, revision, content_hash)
    return latest, taken


def _row_values(ad: Ad, scan_id: int | None, row_id: str, revision: int) -> dict[str, object]:
    return {**ad.model_dump(), "id": row_id, "first_seen_scan": scan_id, "revision": revision,
            "revision_of": None if revision == 1 else ad.id}
