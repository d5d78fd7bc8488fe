"""The review queue: flagged ads in risk order, handed out with leases, decided by people.

The one core behind the web app, `centinela queue ...` and the scan flow (datasette-style:
none of them holds queue logic of its own). Every function takes a `Session`, so the
caller owns the transaction:

    with store.begin() as session:
        enqueue_flagged(session, assessments)        # a scan stores its verdicts
    with store.begin() as session:
        ad_id = claim_next(session, "ana")          # one claim per transaction
    with store.begin() as session:
        decide(session, decision)

An ad enters once, when its latest assessment is `medium` or `high`; a re-scan updates its
row (the latest assessment wins), never adds a second one; a re-post of an earlier ad
(annotation/linking.py) does not enter. A new text under the ad's id (a revision, see
annotation/store/ads.py) moves its item to the revision and opens it again: the text a
decision was made on has changed. Items are ordered by review score (the
assessment's score raised by the size of the ad's cluster, `linking.review_score`), then
by when they were first seen. A claim leases one item to one reviewer: PostgreSQL
picks it with `FOR UPDATE SKIP LOCKED`, SQLite with one `UPDATE ... RETURNING` (its
writers take turns); an expired lease makes the item claimable again. Decisions are
appended, never overwritten; the item's state is the latest one. Claims, decisions and
enqueueing write audit rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from annotation.linking import review_score
from annotation.store.ads import load_ad
from annotation.store.assessments import assessment_from_row
from annotation.store.audit import record_audit
from annotation.store.clusters import cluster_sizes
from annotation.store.db import upsert
from annotation.store.links import find_reposts
from annotation.store.reviews import append_review_decision, list_review_decisions
from annotation.store.tables import AdRow, AssessmentRow, HitRow, QueueItemRow
from corpora.records import DECISIONS, RISK_LEVELS, Ad, Assessment, ReviewDecision, utc_now

DEFAULT_LEASE = timedelta(minutes=20)
FLAGGED: tuple[str, ...] = ("medium", "high")
QUEUE_STATES: tuple[str, ...] = ("open", *DECISIONS)
SNIPPET_CHARS = 160
_IDS_PER_QUERY = 500
_QUEUE = QueueItemRow.__table__
_ORDER = (QueueItemRow.score.desc(), QueueItemRow.first_seen_at, QueueItemRow.ad_id)


class QueueError(ValueError):
    """A queue operation that cannot be done; the message says why."""


class LeaseHeldError(QueueError):
    """Another reviewer holds an unexpired lease on the item."""


@dataclass(frozen=True)
class QueueFilters:
    """Which items to show or claim. `None` means any; `risk=None` means flagged
    (medium or high); `state` defaults to open (not decided yet); dates are inclusive and
    compare with the ad's publication date (or, without one, when it was first seen)."""

    lang: str | None = None
    risk: str | None = None
    indicator: str | None = None
    source: str | None = None
    country: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str | None = "open"

    def __post_init__(self) -> None:
        if self.risk is not None and self.risk not in RISK_LEVELS:
            raise QueueError(f"risk must be one of {', '.join(RISK_LEVELS)}, not {self.risk!r}")
        if self.state is not None and self.state not in QUEUE_STATES:
            raise QueueError(
                f"state must be one of {', '.join(QUEUE_STATES)}, not {self.state!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueueError(f"date_from {self.date_from} is after date_to {self.date_to}")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilters:
        """Filters from text parameters (a query string, CLI options); empty means any,
        except `state`, where 'any' means any. Raises QueueError on a bad value."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = (params.get(field.name) or "").strip()
            if field.name == "state":
                values["state"] = None if raw == "any" else (raw or "open")
            elif field.name.startswith("date_") and raw:
                try:
                    values[field.name] = date.fromisoformat(raw)
                except ValueError:
                    raise QueueError(f"{field.name} must be a date like 2026-01-31, "
                                     f"not {raw!r}") from None
            elif field.name == "country":
                values["country"] = raw.upper() or None
            else:
                values[field.name] = raw or None
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        """The filters as text parameters (only those set), the inverse of `from_params`."""
        params = {field.name: str(getattr(self, field.name)) for field in fields(self)
                  if getattr(self, field.name) is not None and field.name != "state"}
        if self.state != "open":
            params["state"] = self.state or "any"
        return params


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue as a reviewer sees it in a list."""

    ad_id: str
    risk: str
    score: float
    lang: str
    source: str
    country: str | None
    ad_date: datetime
    first_seen_at: datetime
    state: str
    decided_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    indicators: tuple[str, ...] = ()
    title: str | None = None
    snippet: str = ""

    def leased_to(self, now: datetime | None = None) -> str | None:
        """Who holds an unexpired lease on the item, or None."""
        if self.lease_expires_at is None or self.lease_expires_at <= (now or utc_now()):
            return None
        return self.lease_owner


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its items, how many match, and counts per state."""

    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    state_counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class AdReview:
    """Everything a reviewer needs on one ad: the ad, the assessment under review, its
    queue item (None if it was never flagged) and every decision so far, oldest first."""

    ad: Ad
    assessment: Assessment | None
    item: QueueItem | None
    decisions: list[ReviewDecision]


@dataclass(frozen=True)
class EnqueueCounts:
    """What `enqueue_flagged` did: ads that entered the queue and items it updated."""

    new: int
    updated: int


def enqueue_flagged(session: Session, assessments: Sequence[Assessment], *,
                    actor: str = "scan") -> EnqueueCounts:
    """Put the ads that these stored assessments flag into the queue, once per ad.

    A flagged ad that is not queued yet enters as open, unless it re-posts an earlier ad.
    An ad already queued follows its newest assessment (risk, and review score from the
    score and its cluster's size now), whatever that says, and keeps its state,
    first-seen time and lease. The item of an ad that got a new revision moves to that
    revision, open again and unleased (audited); a revision is not a re-post of its own
    ad's earlier text. An unflagged ad that is not queued stays out. The ads,
    assessments (and links, if any) must be stored first (same transaction is fine).
    """
    latest: dict[str, Assessment] = {}
    for assessment in assessments:
        latest[assessment.ad_id] = assessment
    if not latest:
        return EnqueueCounts(0, 0)
    revisions = _revision_sources(session, latest)
    if revisions:
        _move_to_revisions(session, revisions, actor)
    queued = _queued_ids(session, latest)
    reposts = _reposts_of_other_ads(session, latest, revisions)
    sizes = cluster_sizes(session, latest)
    now = utc_now()
    rows = []
    for (ad_id, lang, source, country, published_at), assessment_id, assessment in _stored(
            session, latest.values()):
        if ad_id not in queued and (assessment.risk not in FLAGGED or ad_id in reposts):
            continue
        rows.append({
            "ad_id": ad_id, "assessment_id": assessment_id, "risk": assessment.risk,
            "score": review_score(assessment.score, sizes.get(ad_id, 1)), "lang": lang,
            "source": source, "country": country,
            "ad_date": published_at or now, "first_seen_at": now, "updated_at": now,
            "state": "open",
        })
    if rows:
        statement = upsert(session, _QUEUE, ["ad_id"],
                           ["assessment_id", "risk", "score", "lang", "source", "country",
                            "updated_at"])
        session.execute(statement, rows)
    counts = EnqueueCounts(new=sum(row["ad_id"] not in queued for row in rows),
                           updated=sum(row["ad_id"] in queued for row in rows))
    if rows:
        record_audit(session, actor, "queue.enqueue", None,
                     after={"new": counts.new, "updated": counts.updated})
    return counts


def list_queue(session: Session, filters: QueueFilters | None = None, *, page: int = 1,
               per_page: int = 50) -> QueuePage:
    """One page of matching items in review order, with their indicators and titles."""
    filters = filters or QueueFilters()
    if page < 1 or per_page < 1:
        raise QueueError(f"need page >= 1 and per_page >= 1, got {page} and {per_page}")
    by_state = select(QueueItemRow.state, func.count()).where(
        *_conditions(replace(filters, state=None))).group_by(QueueItemRow.state)
    found = dict(session.execute(by_state).all())
    state_counts = {state: found.get(state, 0) for state in QUEUE_STATES}
    total = sum(state_counts.values()) if filters.state is None else state_counts[filters.state]
    query = (select(QueueItemRow).where(*_conditions(filters)).order_by(*_ORDER)
             .offset((page - 1) * per_page).limit(per_page))
    rows = list(session.scalars(query))
    return QueuePage(_items(session, rows), total, page, per_page, state_counts)


def claim_next(session: Session, reviewer: str, filters: QueueFilters | None = None, *,
               lease: timedelta = DEFAULT_LEASE, after: str | None = None,
               now: datetime | None = None) -> str | None:
    """Lease the first matching item no one else holds to `reviewer`; returns its ad id,
    or None when none is left.

    The reviewer's other leases are given back first (one item at a time, so asking
    again without deciding hands out the same item). With `after` (an ad id), only items
    ranked below that ad are considered: that is how a reviewer skips one. Run it in a
    transaction of its own.
    """
    filters = filters or QueueFilters()
    now = now or utc_now()
    conditions = [*_conditions(filters), _claimable(now)]
    if after is not None:
        conditions.append(_ranked_after(session, after))
    session.execute(update(_QUEUE).where(_QUEUE.c.lease_owner == reviewer)
                    .values(lease_owner=None, lease_expires_at=None))
    candidate = select(QueueItemRow.ad_id).where(*conditions).order_by(*_ORDER).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    expires = now + lease
    claimed = session.execute(
        update(_QUEUE)
        .where(_QUEUE.c.ad_id == candidate.scalar_subquery(), _claimable(now, _QUEUE.c))
        .values(lease_owner=reviewer, lease_expires_at=expires)
        .returning(_QUEUE.c.ad_id)).scalar_one_or_none()
    if claimed is not None:
        record_audit(session, reviewer, "queue.claim", f"ad:{claimed}",
                     after={"lease_expires_at": expires.isoformat()})
    return claimed


def release_claims(session: Session, reviewer: str) -> int:
    """Give back every lease `reviewer` holds; returns how many."""
    released = session.execute(
        update(_QUEUE).where(_QUEUE.c.lease_owner == reviewer)
        .values(lease_owner=None, lease_expires_at=None).returning(_QUEUE.c.ad_id)).all()
    return len(released)


def decide(session: Session, decision: ReviewDecision, *,
           now: datetime | None = None) -> str | None:
    """Append a reviewer's decision on a queued ad and set the item's state from it.

    Raises LeaseHeldError when another reviewer holds an unexpired lease on the item, and
    QueueError when the ad is not in the queue; nothing is stored then. The decision is
    audited (before: the previous decision) and the reviewer's lease ends; a closed case
    opens again (annotation.retention.close_case).

    When the source sent a new text while the reviewer read the old one, the item has
    moved to that revision: the decision is kept on the text the reviewer decided on, the
    revision stays open (its text was not reviewed), and its id is returned so that the
    caller can show it. Otherwise returns None.
    """
    now = now or utc_now()
    changed = session.execute(
        update(_QUEUE)
        .where(_QUEUE.c.ad_id == decision.ad_id,
               or_(_QUEUE.c.lease_owner.is_(None), _QUEUE.c.lease_owner == decision.reviewer,
                   _QUEUE.c.lease_expires_at <= now))
        .values(state=decision.decision, decided_at=decision.created_at, lease_owner=None,
                lease_expires_at=None, closed_at=None, closed_by=None)
        .returning(_QUEUE.c.ad_id)).scalar_one_or_none()
    if changed is None:
        holder = session.execute(select(QueueItemRow.lease_owner)
                                 .where(QueueItemRow.ad_id == decision.ad_id)).first()
        if holder is None:
            revision = _queued_revision(session, decision.ad_id)
            if revision is None:
                raise QueueError(f"ad {decision.ad_id!r} is not in the review queue")
            append_review_decision(session, decision)
            return revision
        raise LeaseHeldError(f"ad {decision.ad_id!r} is being reviewed by {holder[0]}")
    append_review_decision(session, decision)
    return None


def load_review(session: Session, ad_id: str) -> AdReview | None:
    """The ad with its assessment under review, queue item and decisions; None if no
    ad has this id. Without a queue item, the assessment is the ad's latest one."""
    ad = load_ad(session, ad_id)
    if ad is None:
        return None
    row = session.get(QueueItemRow, ad_id)
    query = select(AssessmentRow).where(AssessmentRow.ad_id == ad_id)
    if row is not None:
        query = query.where(AssessmentRow.id == row.assessment_id)
    assessment_row = session.scalars(
        query.order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc()).limit(1)).first()
    assessment = None if assessment_row is None else assessment_from_row(assessment_row)
    item = None if row is None else _items(session, [row])[0]
    return AdReview(ad, assessment, item, list_review_decisions(session, ad_id))


def list_sources(session: Session) -> list[str]:
    """The sources of queued ads, for a filter menu."""
    return list(session.scalars(select(QueueItemRow.source).distinct().order_by(
        QueueItemRow.source)))


def _conditions(filters: QueueFilters) -> list[ColumnElement[bool]]:
    q = QueueItemRow
    conditions: list[ColumnElement[bool]] = [
        q.risk == filters.risk if filters.risk else q.risk.in_(FLAGGED)]
    for name in ("lang", "source", "country", "state"):
        if (value := getattr(filters, name)) is not None:
            conditions.append(getattr(q, name) == value)
    if filters.date_from:
        conditions.append(q.ad_date >= datetime.combine(filters.date_from, time(),
                                                        timezone.utc))
    if filters.date_to:
        conditions.append(q.ad_date < datetime.combine(filters.date_to + timedelta(days=1),
                                                       time(), timezone.utc))
    if filters.indicator:
        # Not a correlated EXISTS: the planner would walk every hit of that indicator
        # for each queue row.
        conditions.append(q.assessment_id.in_(select(HitRow.assessment_id).where(
            HitRow.indicator_id == filters.indicator)))
    return conditions


def _claimable(now: datetime, columns: Any = QueueItemRow) -> ColumnElement[bool]:
    return or_(columns.lease_owner.is_(None), columns.lease_expires_at <= now)


def _ranked_after(session: Session, ad_id: str) -> ColumnElement[bool]:
    q = QueueItemRow
    anchor = session.execute(select(q.score, q.first_seen_at).where(q.ad_id == ad_id)).first()
    if anchor is None:
        raise QueueError(f"ad {ad_id!r} is not in the review queue")
    score, first_seen = anchor
    return or_(q.score < score,
               and_(q.score == score, q.first_seen_at > first_seen),
               and_(q.score == score, q.first_seen_at == first_seen, q.ad_id > ad_id))


def _items(session: Session, rows: Sequence[QueueItemRow]) -> list[QueueItem]:
    assessment_ids = [row.assessment_id for row in rows]
    hits: dict[int, list[tuple[float, str]]] = {}
    titles: dict[str, tuple[str | None, str]] = {}
    if rows:
        hit_rows = session.execute(
            select(HitRow.assessment_id, HitRow.score, HitRow.indicator_id)
            .where(HitRow.assessment_id.in_(assessment_ids)))
        for assessment_id, score, indicator in hit_rows:
            hits.setdefault(assessment_id, []).append((-score, indicator))
        titles = {ad_id: (title, snippet) for ad_id, title, snippet in session.execute(
            select(AdRow.id, AdRow.title, func.substr(AdRow.text, 1, SNIPPET_CHARS))
            .where(AdRow.id.in_([row.ad_id for row in rows])))}
    return [
        QueueItem(
            ad_id=row.ad_id, risk=row.risk, score=row.score, lang=row.lang, source=row.source,
            country=row.country, ad_date=row.ad_date, first_seen_at=row.first_seen_at,
            state=row.state, decided_at=row.decided_at, lease_owner=row.lease_owner,
            lease_expires_at=row.lease_expires_at,
            indicators=tuple(dict.fromkeys(ind for _, ind in sorted(
                hits.get(row.assessment_id, [])))),
            title=titles.get(row.ad_id, (None, ""))[0],
            snippet=titles.get(row.ad_id, (None, ""))[1])
        for row in rows
    ]


def _revision_sources(session: Session, ad_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """The revisions (second text or later) among `ad_ids`: row id -> (first row id,
    revision number)."""
    ids = list(ad_ids)
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        query = select(AdRow.id, AdRow.revision_of, AdRow.revision).where(
            AdRow.id.in_(ids[start:start + _IDS_PER_QUERY]), AdRow.revision_of.is_not(None))
        found.update((row_id, (source, number)) for row_id, source, number in
                     session.execute(query))
    return found


def _queued_revision(session: Session, ad_id: str) -> str | None:
    """The queued row of another text of the same ad (its first text or a revision), if
    `ad_id` itself is not queued because its item moved to that text."""
    first = session.scalar(select(func.coalesce(AdRow.revision_of, AdRow.id))
                           .where(AdRow.id == ad_id))
    if first is None:
        return None
    return session.scalar(
        select(QueueItemRow.ad_id).join(AdRow, AdRow.id == QueueItemRow.ad_id)
        .where(or_(AdRow.id == first, AdRow.revision_of == first), AdRow.id != ad_id))


def _move_to_revisions(session: Session, revisions: Mapping[str, tuple[str, int]],
                       actor: str) -> None:
    """Move the queue item of each ad with a new revision here to its latest one, open
    and unleased, unless it is there (or at a later one) already."""
    target: dict[str, tuple[int, str]] = {}
    for row_id, (source, number) in revisions.items():
        if source not in target or target[source][0] < number:
            target[source] = (number, row_id)
    sources = list(target)
    for start in range(0, len(sources), _IDS_PER_QUERY):
        chunk = sources[start:start + _IDS_PER_QUERY]
        items = session.execute(
            select(QueueItemRow.ad_id, QueueItemRow.state, AdRow.revision_of, AdRow.revision)
            .join(AdRow, AdRow.id == QueueItemRow.ad_id)
            .where(or_(AdRow.id.in_(chunk), AdRow.revision_of.in_(chunk)))).all()
        for ad_id, state, revision_of, number in items:
            newest, row_id = target.get(revision_of or ad_id, (0, ad_id))
            if number >= newest:
                continue
            session.execute(update(_QUEUE).where(_QUEUE.c.ad_id == ad_id).values(
                ad_id=row_id, state="open", decided_at=None, lease_owner=None,
                lease_expires_at=None, closed_at=None, closed_by=None, updated_at=utc_now()))
            record_audit(session, actor, "queue.revise", f"ad:{row_id}",
                         before={"ad_id": ad_id, "state": state},
                         after={"ad_id": row_id, "state": "open"})


def _reposts_of_other_ads(session: Session, ad_ids: Iterable[str],
                          revisions: Mapping[str, tuple[str, int]]) -> set[str]:
    """The re-posts among `ad_ids`, leaving out revisions linked to their own ad's
    earlier text."""
    reposts = find_reposts(session, ad_ids)
    originals = [original for row_id, original in reposts.items() if row_id in revisions]
    source_of = dict(_revision_sources(session, originals))
    return {row_id for row_id, original in reposts.items()
            if row_id not in revisions
            or (source_of[original][0] if original in source_of else original)
            != revisions[row_id][0]}


def _queued_ids(session: Session, ad_ids: Iterable[str]) -> set[str]:
    ids = list(ad_ids)
    queued: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        queued.update(session.scalars(select(QueueItemRow.ad_id).where(
            QueueItemRow.ad_id.in_(chunk))))
    return queued


def _stored(session: Session, assessments: Iterable[Assessment]
            ) -> Iterable[tuple[Any, int, Assessment]]:
    """Each assessment with its stored ad's fields and its assessment row id (skipping
    unstored ones)."""
    by_key = {(a.ad_id, a.model.sha256): a for a in assessments}
    keys = list(by_key)
    for start in range(0, len(keys), _IDS_PER_QUERY):
        chunk = keys[start:start + _IDS_PER_QUERY]
        query = (select(AdRow.id, AdRow.lang, AdRow.source, AdRow.country,
                        AdRow.published_at, AssessmentRow.id, AssessmentRow.model_sha256)
                 .join(AssessmentRow, AssessmentRow.ad_id == AdRow.id)
                 .where(AdRow.id.in_({ad_id for ad_id, _ in chunk}),
                        AssessmentRow.model_sha256.in_({sha for _, sha in chunk})))
        for ad_id, lang, source, country, published_at, assessment_id, sha256 in \
                session.execute(query):
            if (assessment := by_key.get((ad_id, sha256))) is not None:
                yield (ad_id, lang, source, country, published_at), assessment_id, assessment
