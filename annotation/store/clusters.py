"""Clusters of ads: ads linked by a shared contact or a near-duplicate text, with their
size, first and last time seen, countries and sources.

Clusters only exist for two ads or more. When a new ad links two clusters, they merge
into the older one (the lower id); the other keeps its row, empty, pointing at it, so an
old cluster id still leads somewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from annotation.store.tables import AdEntityRow, AdLinkRow, AdRow, AssessmentRow, ClusterRow
from corpora.records import utc_now

_MAX_MERGE_HOPS = 100


@dataclass(frozen=True)
class ClusterSummary:
    """A cluster as listed: how many ads, distinct contacts, when and where."""

    id: int
    size: int
    contacts: int
    first_seen: datetime
    last_seen: datetime
    countries: tuple[str, ...]
    sources: tuple[str, ...]


def create_cluster(session: Session, now: datetime) -> int:
    """A new, empty cluster; its counts come with `refresh_clusters`."""
    row = ClusterRow(size=0, contacts=0, first_seen=now, last_seen=now, countries=[],
                     sources=[], updated_at=now)
    session.add(row)
    session.flush()
    return row.id


def merge_clusters(session: Session, keep: int, others: Iterable[int]) -> None:
    """Move every ad of `others` into `keep`; the others stay, empty, pointing at it."""
    others = [other for other in others if other != keep]
    if not others:
        return
    session.execute(update(AdLinkRow).where(AdLinkRow.cluster_id.in_(others))
                    .values(cluster_id=keep))
    session.execute(update(ClusterRow).where(ClusterRow.id.in_(others))
                    .values(merged_into=keep, size=0, contacts=0))


def refresh_clusters(session: Session, cluster_ids: Iterable[int],
                     now: datetime | None = None) -> None:
    """Recount size, contacts, first/last seen, countries and sources of clusters."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    now = now or utc_now()
    stats = {cluster_id: (size, first, last) for cluster_id, size, first, last in session.execute(
        select(AdLinkRow.cluster_id, func.count(), func.min(AdLinkRow.linked_at),
               func.max(AdLinkRow.linked_at))
        .where(AdLinkRow.cluster_id.in_(ids)).group_by(AdLinkRow.cluster_id))}
    places: dict[int, tuple[set[str], set[str]]] = {i: (set(), set()) for i in ids}
    for cluster_id, country, source in session.execute(
            select(AdLinkRow.cluster_id, AdRow.country, AdRow.source).distinct()
            .join(AdRow, AdRow.id == AdLinkRow.ad_id).where(AdLinkRow.cluster_id.in_(ids))):
        if country:
            places[cluster_id][0].add(country)
        places[cluster_id][1].add(source)
    contacts = dict(session.execute(
        select(AdLinkRow.cluster_id, func.count(AdEntityRow.pseudonym.distinct()))
        .join(AdEntityRow, AdEntityRow.ad_id == AdLinkRow.ad_id)
        .where(AdLinkRow.cluster_id.in_(ids), AdEntityRow.pseudonym.is_not(None))
        .group_by(AdLinkRow.cluster_id)).all())
    for cluster_id in ids:
        size, first, last = stats.get(cluster_id, (0, now, now))
        countries, sources = places[cluster_id]
        session.execute(update(ClusterRow).where(ClusterRow.id == cluster_id).values(
            size=size, first_seen=first, last_seen=last, countries=sorted(countries),
            sources=sorted(sources), contacts=contacts.get(cluster_id, 0), updated_at=now))


def list_clusters(session: Session, *, min_size: int = 2,
                  limit: int | None = 50) -> list[ClusterSummary]:
    """Clusters of at least `min_size` ads, largest first, then most recently seen."""
    query = (select(ClusterRow).where(ClusterRow.size >= max(min_size, 1),
                                      ClusterRow.merged_into.is_(None))
             .order_by(ClusterRow.size.desc(), ClusterRow.last_seen.desc(), ClusterRow.id))
    if limit is not None:
        query = query.limit(limit)
    return [_summary(row) for row in session.scalars(query)]


def load_cluster(session: Session, cluster_id: int) -> tuple[ClusterSummary, list[str]] | None:
    """A cluster (following merges to the one it became) and its ad ids, first seen first."""
    row = session.get(ClusterRow, cluster_id)
    for _ in range(_MAX_MERGE_HOPS):
        if row is None or row.merged_into is None:
            break
        row = session.get(ClusterRow, row.merged_into)
    if row is None:
        return None
    ad_ids = list(session.scalars(select(AdLinkRow.ad_id).where(AdLinkRow.cluster_id == row.id)
                                  .order_by(AdLinkRow.linked_at, AdLinkRow.ad_id)))
    return _summary(row), ad_ids


@dataclass(frozen=True)
class ClusterMember:
    """One ad of a cluster: where and when it was seen, what it re-posts, its highest
    stored risk and score, and the kinds of contacts it holds."""

    ad_id: str
    source: str
    country: str | None
    linked_at: datetime
    duplicate_of: str | None
    risk: str | None
    score: float | None


@dataclass(frozen=True)
class SharedContact:
    """A contact held by several ads of a cluster, by pseudonym (never its value)."""

    kind: str
    pseudonym: str
    ads: int


def list_cluster_members(session: Session, ad_ids: list[str]) -> list[ClusterMember]:
    """The members of a cluster (as `load_cluster` lists them), in that order."""
    members = []
    for start in range(0, len(ad_ids), 400):
        chunk = ad_ids[start:start + 400]
        best = (select(AssessmentRow.ad_id, func.max(AssessmentRow.score).label("score"))
                .where(AssessmentRow.ad_id.in_(chunk)).group_by(AssessmentRow.ad_id).subquery())
        risks = dict(session.execute(
            select(AssessmentRow.ad_id, AssessmentRow.risk).join(
                best, (best.c.ad_id == AssessmentRow.ad_id)
                & (best.c.score == AssessmentRow.score))).all())
        scores = dict(session.execute(select(best.c.ad_id, best.c.score)).all())
        query = (select(AdLinkRow.ad_id, AdRow.source, AdRow.country, AdLinkRow.linked_at,
                        AdLinkRow.duplicate_of)
                 .join(AdRow, AdRow.id == AdLinkRow.ad_id).where(AdLinkRow.ad_id.in_(chunk)))
        rows = {row[0]: row for row in session.execute(query)}
        members.extend(ClusterMember(*rows[ad_id], risks.get(ad_id), scores.get(ad_id))
                       for ad_id in chunk if ad_id in rows)
    return members


def list_shared_contacts(session: Session, cluster_id: int) -> list[SharedContact]:
    """Contacts held by two ads or more of a cluster, most shared first."""
    ads = func.count(AdEntityRow.ad_id.distinct())
    query = (select(AdEntityRow.kind, AdEntityRow.pseudonym, ads)
             .join(AdLinkRow, AdLinkRow.ad_id == AdEntityRow.ad_id)
             .where(AdLinkRow.cluster_id == cluster_id, AdEntityRow.pseudonym.is_not(None))
             .group_by(AdEntityRow.kind, AdEntityRow.pseudonym).having(ads > 1)
             .order_by(ads.desc(), AdEntityRow.pseudonym))
    return [SharedContact(kind, pseudonym, count)
            for kind, pseudonym, count in session.execute(query)]


def cluster_sizes(session: Session, ad_ids: Iterable[str]) -> dict[str, int]:
    """The size of each ad's cluster (1 for an ad in none)."""
    ids = list(dict.fromkeys(ad_ids))
    sizes = dict.fromkeys(ids, 1)
    for start in range(0, len(ids), 400):
        query = (select(AdLinkRow.ad_id, ClusterRow.size)
                 .join(ClusterRow, ClusterRow.id == AdLinkRow.cluster_id)
                 .where(AdLinkRow.ad_id.in_(ids[start:start + 400])))
        sizes.update(session.execute(query).all())
    return sizes


def _summary(row: ClusterRow) -> ClusterSummary:
    return ClusterSummary(id=row.id, size=row.size, contacts=row.contacts,
                          first_seen=row.first_seen, last_seen=row.last_seen,
                          countries=tuple(row.countries), sources=tuple(row.sources))
