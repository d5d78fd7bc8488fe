"""The near-duplicate index: each linked ad's fingerprint, the ad it re-posts, its LSH band
keys and its cluster (tables `ad_links` and `lsh_bands`).

Lookups are by indexed key (text key, band key, ad id), so their cost per ad does not grow
with the number of ads stored; see annotation/linking.py for how they are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from annotation.store.tables import AdLinkRow, LshBandRow

_PER_QUERY = 400  # ids or key pairs per IN (...), well under every bound-parameter limit


@dataclass(frozen=True)
class LinkState:
    """What the index holds for one linked ad."""

    ad_id: str
    minhash: bytes
    duplicate_of: str | None
    cluster_id: int | None

    @property
    def original(self) -> str:
        """The first ad of its text: itself, or the ad it re-posts."""
        return self.duplicate_of or self.ad_id


@dataclass(frozen=True)
class NewLink:
    """A row to add to the index for a newly linked ad."""

    ad_id: str
    text_key: str
    minhash: bytes
    bands: tuple[int, ...]
    duplicate_of: str | None
    similarity: float | None
    exact: bool  # same words as its original
    indexed: bool  # its band keys go into the index: originals only


def find_linked(session: Session, ad_ids: Iterable[str]) -> dict[str, LinkState]:
    """The index rows of those of `ad_ids` that are linked."""
    found: dict[str, LinkState] = {}
    for chunk in _chunks(list(dict.fromkeys(ad_ids))):
        query = select(AdLinkRow.ad_id, AdLinkRow.minhash, AdLinkRow.duplicate_of,
                       AdLinkRow.cluster_id).where(AdLinkRow.ad_id.in_(chunk))
        for ad_id, minhash, duplicate_of, cluster_id in session.execute(query):
            found[ad_id] = LinkState(ad_id, bytes(minhash), duplicate_of, cluster_id)
    return found


def find_originals_by_text_key(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """For each text key already stored, the first ad with that text."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(keys))):
        query = (select(AdLinkRow.text_key, AdLinkRow.ad_id, AdLinkRow.duplicate_of)
                 .where(AdLinkRow.text_key.in_(chunk)))
        for key, ad_id, duplicate_of in session.execute(query):
            found.setdefault(key, duplicate_of or ad_id)
    return found


def find_band_neighbours(session: Session,
                         pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], set[str]]:
    """The stored ads under each (band, bucket) key."""
    found: dict[tuple[int, int], set[str]] = {}
    wanted = set(pairs)
    buckets = list(dict.fromkeys(bucket for _, bucket in wanted))
    for start in range(0, len(buckets), _PER_QUERY):
        # By bucket (indexed): the band is part of the bucket's hash, so a match under
        # another band is all but impossible, and is dropped here anyway.
        query = (select(LshBandRow.band, LshBandRow.bucket, LshBandRow.ad_id)
                 .where(LshBandRow.bucket.in_(buckets[start:start + _PER_QUERY])))
        for band, bucket, ad_id in session.execute(query):
            if (band, bucket) in wanted:
                found.setdefault((band, bucket), set()).add(ad_id)
    return found


def save_links(session: Session, links: Sequence[NewLink], linked_at: datetime) -> None:
    """Add newly linked ads to the index (with no cluster yet)."""
    if not links:
        return
    session.execute(AdLinkRow.__table__.insert(), [
        {"ad_id": link.ad_id, "text_key": link.text_key, "minhash": link.minhash,
         "duplicate_of": link.duplicate_of, "similarity": link.similarity,
         "cluster_id": None, "linked_at": linked_at} for link in links])
    bands = [{"band": band, "bucket": bucket, "ad_id": link.ad_id}
             for link in links if link.indexed for band, bucket in enumerate(link.bands)]
    if bands:
        session.execute(LshBandRow.__table__.insert(), bands)


def set_cluster(session: Session, ad_ids: Iterable[str], cluster_id: int) -> None:
    """Put linked ads into a cluster."""
    for chunk in _chunks(list(ad_ids)):
        session.execute(update(AdLinkRow).where(AdLinkRow.ad_id.in_(chunk))
                        .values(cluster_id=cluster_id))


def find_reposts(session: Session, ad_ids: Iterable[str]) -> dict[str, str]:
    """Of `ad_ids`, those that re-post an earlier ad (exactly or nearly), with that ad: a
    re-post is linked to its original and is not queued for review again."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(ad_ids))):
        query = (select(AdLinkRow.ad_id, AdLinkRow.duplicate_of)
                 .where(AdLinkRow.ad_id.in_(chunk), AdLinkRow.duplicate_of.is_not(None)))
        found.update(session.execute(query).all())
    return found


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _PER_QUERY):
        yield items[start:start + _PER_QUERY]
