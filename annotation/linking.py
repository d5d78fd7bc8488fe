"""Linking new ads to what is stored: contacts, re-posts and clusters.

A scan calls this once per batch of newly stored ads, in the batch's transaction:

1. `prepare_ads` (pure, may run on a worker): each ad's entities (contacts with their
   HMAC pseudonyms) and text fingerprint.
2. `link_ads`: stores the entities; finds for each ad an earlier ad with the same text
   (exact: same folded words) or a similar one (MinHash, Jaccard >= `threshold` on word
   3-shingles, candidates from the persisted LSH index, so re-posts are found across
   scans); a re-post points at the first ad of its text and is not queued again. Only
   originals are indexed, so the cost per ad stays flat however often a text comes back
   (a re-post of a re-post is found when it is still similar to the original). Ads
   sharing a contact pseudonym or linked as re-posts form clusters (union-find); clusters
   that a new ad joins are merged, and their stats recounted.

A contact held by more than `max_contact_ads` ads (a job board's own address in every
footer, say) stops linking: it would glue unrelated ads into one cluster.

The review score of an ad rises with its cluster (`review_score`): recruiters post one
offer many times under many names, and a large cluster is a reason to look sooner.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from annotation.store.clusters import create_cluster, merge_clusters, refresh_clusters
from annotation.store.entities import (
    count_ads_by_pseudonym,
    find_ads_by_pseudonym,
    save_entities,
)
from annotation.store.links import (
    NewLink,
    find_band_neighbours,
    find_linked,
    find_originals_by_text_key,
    save_links,
    set_cluster,
)
from corpora.duplicates import group_ids
from corpora.entities import extract_entities
from corpora.fingerprints import DEFAULT_NEAR_DUPLICATE, Fingerprint, fingerprint_texts, similarity
from corpora.records import Ad, Entity, utc_now

DEFAULT_MAX_CONTACT_ADS = 500
# Review score boost per doubling of the cluster, and its ceiling (see review_score).
BOOST_PER_DOUBLING = 0.1
MAX_BOOST = 0.5
_LINK_LOCK = 0x43454E54  # PostgreSQL advisory lock: one linker at a time ("CENT")


@dataclass(frozen=True)
class PreparedAd:
    """What linking needs of one ad: its id, entities and text fingerprint."""

    ad_id: str
    entities: tuple[Entity, ...]
    fingerprint: Fingerprint


@dataclass(frozen=True)
class LinkCounts:
    """What linking one batch did. `reposts` maps each re-post to its original."""

    ads: int = 0
    entities: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    clusters_touched: int = 0
    reposts: tuple[tuple[str, str], ...] = ()
    repost_seconds: float = 0.0  # time spent finding re-posts (the near-duplicate cost)


def prepare_ads(ads: Sequence[Ad], key: bytes | None) -> list[PreparedAd]:
    """Entities and fingerprints of ads (pure: no store, so a worker can do it)."""
    fingerprints = fingerprint_texts([ad.text for ad in ads])
    return [PreparedAd(ad.id, tuple(extract_entities(ad.text, country=ad.country, key=key)),
                       fingerprint) for ad, fingerprint in zip(ads, fingerprints, strict=True)]


def link_ads(session: Session, prepared: Sequence[PreparedAd], *,
             threshold: float = DEFAULT_NEAR_DUPLICATE,
             max_contact_ads: int = DEFAULT_MAX_CONTACT_ADS,
             now: datetime | None = None) -> LinkCounts:
    """Link newly stored ads (see the module docstring). Ads already linked are passed
    over, so a resumed or repeated scan links nothing twice. The ads must be stored."""
    if not prepared:
        return LinkCounts()
    now = now or utc_now()
    _lock(session)
    already = find_linked(session, [item.ad_id for item in prepared])
    todo = list({item.ad_id: item for item in prepared if item.ad_id not in already}.values())
    if not todo:
        return LinkCounts()
    entity_count = save_entities(session, {item.ad_id: item.entities for item in todo})
    started = time.perf_counter()
    links = _find_reposts(session, todo, threshold)
    repost_seconds = time.perf_counter() - started
    save_links(session, links, now)
    touched = _cluster(session, todo, links, max_contact_ads, now)
    reposts = tuple((link.ad_id, link.duplicate_of) for link in links if link.duplicate_of)
    return LinkCounts(
        ads=len(todo), entities=entity_count,
        exact_duplicates=sum(1 for link in links if link.duplicate_of and link.exact),
        near_duplicates=sum(1 for link in links if link.duplicate_of and not link.exact),
        clusters_touched=touched, reposts=reposts,  # type: ignore[arg-type]
        repost_seconds=repost_seconds)


def cluster_boost(cluster_size: int) -> float:
    """How much a cluster of `cluster_size` ads lifts a review score: 0 alone, then
    BOOST_PER_DOUBLING per doubling of the cluster, at most MAX_BOOST (0.1 for 2 ads, 0.2
    for 4, 0.3 for 8, 0.5 from 32 on)."""
    if cluster_size <= 1:
        return 0.0
    return min(MAX_BOOST, BOOST_PER_DOUBLING * math.log2(cluster_size))


def review_score(score: float, cluster_size: int) -> float:
    """The score the review queue orders by: the detector's score moved towards 1 by the
    cluster boost, `1 - (1 - score) * (1 - boost)`. It never lowers a score, keeps the
    order of two ads in clusters of the same size, and stays in [0, 1]."""
    return 1.0 - (1.0 - score) * (1.0 - cluster_boost(cluster_size))


def _lock(session: Session) -> None:
    # SQLite serialises writers already (the batch's ads were just inserted).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LINK_LOCK})


def _find_reposts(session: Session, todo: list[PreparedAd], threshold: float) -> list[NewLink]:
    originals = find_originals_by_text_key(session, [i.fingerprint.text_key for i in todo])
    neighbours = find_band_neighbours(
        session, [(band, bucket) for item in todo if item.fingerprint.text_key not in originals
                  for band, bucket in enumerate(item.fingerprint.bands)])
    stored = find_linked(session, {ad for ads in neighbours.values() for ad in ads})
    sketches = {ad_id: (state.minhash, state.original) for ad_id, state in stored.items()}
    links: list[NewLink] = []
    for item in todo:
        fp = item.fingerprint
        original = originals.get(fp.text_key)
        exact, score = original is not None, 1.0
        if not exact:
            candidates = {ad for band, bucket in enumerate(fp.bands)
                          for ad in neighbours.get((band, bucket), ())}
            best = max(((similarity(fp.minhash, sketches[ad][0]), sketches[ad][1])
                        for ad in candidates if ad in sketches), default=(0.0, None))
            score, original = best if best[0] >= threshold else (0.0, None)
        # Only originals go into the LSH index: a re-post is found through its original,
        # so the candidates of a text stay one per original however often it is re-posted.
        links.append(NewLink(item.ad_id, fp.text_key, fp.minhash, fp.bands, original,
                             score if original else None, exact=exact,
                             indexed=original is None))
        # Later ads of this batch find this one like a stored ad.
        originals.setdefault(fp.text_key, original or item.ad_id)
        sketches[item.ad_id] = (fp.minhash, original or item.ad_id)
        if original is None:
            for band, bucket in enumerate(fp.bands):
                neighbours.setdefault((band, bucket), set()).add(item.ad_id)
    return links


def _cluster(session: Session, todo: list[PreparedAd], links: list[NewLink],
             max_contact_ads: int, now: datetime) -> int:
    edges = [(link.ad_id, link.duplicate_of) for link in links if link.duplicate_of]
    pseudonyms = {e.pseudonym for item in todo for e in item.entities if e.pseudonym}
    counts = count_ads_by_pseudonym(session, pseudonyms)
    linking = [p for p in pseudonyms if 1 < counts.get(p, 0) <= max_contact_ads]
    holders = find_ads_by_pseudonym(session, linking)
    for item in todo:
        for entity in item.entities:
            edges.extend((item.ad_id, other) for other in holders.get(entity.pseudonym or "", ())
                         if other != item.ad_id)
    if not edges:
        return 0
    states = find_linked(session, {ad for edge in edges for ad in edge})
    edges = [(a, b) for a, b in edges if a in states and b in states]  # unlinked: older ads
    touched: set[int] = set()
    for group in group_ids(states, edges):
        if len(group) < 2:
            continue
        existing = sorted({states[ad].cluster_id for ad in group} - {None})  # type: ignore[type-var]
        cluster_id = existing[0] if existing else create_cluster(session, now)
        merge_clusters(session, cluster_id, existing[1:])
        set_cluster(session, [ad for ad in group if states[ad].cluster_id != cluster_id],
                    cluster_id)
        touched.add(cluster_id)
    refresh_clusters(session, touched, now)
    return len(touched)
