"""What a scan takes into the store: a batch of ads and their assessments at a time, and
a running tally of what it read, stored and found.

The scan flow composes this with `models.scoring` (which makes the assessments); this
module never loads a model. Counts, ids, scores and locations only: nothing here holds
or returns ad text, so it may be logged and handed between processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from annotation.linking import LinkCounts, PreparedAd, link_ads
from annotation.queue import enqueue_flagged
from annotation.store import (
    FlaggedAd,
    SavedAds,
    SavedAssessments,
    ScanCounts,
    Store,
    retry_locked,
    save_ads,
    save_assessments,
    touch_scan,
)
from corpora.records import RISK_LEVELS, Ad, Assessment, ModelRef, Risk

MAX_REPORTED_ERRORS = 20
MAX_REPORTED_CHANGES = 50


@dataclass(frozen=True)
class RecordProblem:
    """A record that could not become an ad: where it is (file:line) and what is wrong."""

    location: str
    message: str


@dataclass(frozen=True)
class BatchCounts:
    """What storing one batch did, and the verdicts on the ads stored with that text:
    `risks` holds (source ad id, risk) for each, `flagged` the ones above `low` (by the
    id of the row holding the text), `changed_ids` the source ids that came with a new
    text (stored as a new revision)."""

    ads_new: int
    ads_seen: int
    ads_changed: int
    assessments_new: int
    risks: tuple[tuple[str, Risk], ...]
    flagged: tuple[FlaggedAd, ...]
    changed_ids: tuple[str, ...] = ()
    entities: int = 0
    reposts: int = 0
    clusters_touched: int = 0
    linked: int = 0
    repost_seconds: float = 0.0


@dataclass(frozen=True)
class ScanSummary:
    """What a scan read, stored and found. Risk counts and top flagged ads cover the ads of
    this source (new or already stored), as the scan's model sees them."""

    scan_id: int
    source: str
    model: ModelRef
    records_read: int
    error_count: int
    errors: tuple[RecordProblem, ...]
    ads_new: int
    ads_seen: int
    ads_changed: int
    assessments_new: int
    risk_counts: dict[Risk, int]
    top_flagged: tuple[FlaggedAd, ...]
    entities: int = 0
    reposts: int = 0
    clusters_touched: int = 0
    skipped_done: int = 0
    changed_ids: tuple[str, ...] = ()  # the first MAX_REPORTED_CHANGES of ads_changed


def store_batch(store: Store, scan_id: int, ads: Sequence[Ad],
                assessments: Sequence[Assessment],
                prepared: Sequence[PreparedAd] = ()) -> BatchCounts:
    """Store a batch of ads and their assessments (same order) in one transaction, link
    the newly stored texts (`prepared`, same order, from annotation.linking.prepare_ads):
    their entities, re-posts and clusters; then queue the flagged ads for review
    (annotation.queue.enqueue_flagged), which needs the links for review scores.

    Safe to run twice: ads are keyed by id (and revision), assessments by (ad, model
    sha256) and queue items by ad, and an ad is linked once. An ad whose id is stored
    with another text is stored as a new revision (annotation.store.ads), and its
    assessment, entities and links point at that revision. A locked store is retried
    (see annotation.store.retry_locked): the whole transaction again.
    """
    def transaction() -> tuple[SavedAds, list[Assessment], SavedAssessments, LinkCounts]:
        with store.begin() as session:
            saved = save_ads(session, ads, scan_id)
            kept = [assessment if assessment.ad_id == row_id
                    else assessment.model_copy(update={"ad_id": row_id})
                    for assessment, row_id in zip(assessments, saved.row_ids, strict=True)]
            stored = save_assessments(session, kept, scan_id)
            fresh = [replace(item, ad_id=row_id) for item, outcome, row_id
                     in zip(prepared, saved.outcomes, saved.row_ids, strict=False)
                     if outcome != "seen"]
            links = link_ads(session, fresh)
            enqueue_flagged(session, kept)
            touch_scan(session, scan_id)
            return saved, kept, stored, links

    saved, kept, stored, links = retry_locked(transaction)
    return BatchCounts(
        ads_new=saved.new, ads_seen=saved.seen, ads_changed=saved.changed,
        assessments_new=stored.new,
        risks=tuple((ad.id, a.risk) for ad, a in zip(ads, kept, strict=True)),
        flagged=tuple(FlaggedAd.from_assessment(a) for a in kept if a.risk != "low"),
        changed_ids=saved.changed_ids(ads),
        entities=links.entities, reposts=len(links.reposts),
        clusters_touched=links.clusters_touched, linked=links.ads,
        repost_seconds=links.repost_seconds)


@dataclass
class ScanTally:
    """Running counts of one scan, fed batch by batch; `summary()` at the end."""

    scan_id: int
    source: str
    model: ModelRef
    top_n: int
    records_read: int = 0
    error_count: int = 0
    errors: list[RecordProblem] = field(default_factory=list)
    ads_new: int = 0
    ads_seen: int = 0
    ads_changed: int = 0
    assessments_new: int = 0
    risk_counts: dict[Risk, int] = field(default_factory=lambda: dict.fromkeys(RISK_LEVELS, 0))
    top_flagged: list[FlaggedAd] = field(default_factory=list)
    entities: int = 0
    reposts: int = 0
    clusters_touched: int = 0
    skipped_done: int = 0
    linked: int = 0
    repost_seconds: float = 0.0
    changed_ids: list[str] = field(default_factory=list)
    _risk_of: dict[str, Risk] = field(default_factory=dict)

    def add_records(self, count: int) -> None:
        self.records_read += count

    def add_problem(self, location: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RecordProblem(location, message))

    def add_batch(self, counts: BatchCounts) -> None:
        self.ads_new += counts.ads_new
        self.ads_seen += counts.ads_seen
        self.ads_changed += counts.ads_changed
        self.assessments_new += counts.assessments_new
        self.entities += counts.entities
        self.reposts += counts.reposts
        self.clusters_touched += counts.clusters_touched
        self.linked += counts.linked
        self.repost_seconds += counts.repost_seconds
        for ad_id, risk in counts.risks:
            # The same ad twice in one source counts once, as its latest text.
            if (earlier := self._risk_of.get(ad_id)) is not None:
                self.risk_counts[earlier] -= 1
            self._risk_of[ad_id] = risk
            self.risk_counts[risk] += 1
        room = MAX_REPORTED_CHANGES - len(self.changed_ids)
        self.changed_ids.extend([i for i in counts.changed_ids
                                 if i not in self.changed_ids][:max(room, 0)])
        shown = {flagged.ad_id for flagged in self.top_flagged}
        fresh = [f for f in counts.flagged if f.ad_id not in shown]
        ranked = sorted([*self.top_flagged, *dict((f.ad_id, f) for f in fresh).values()],
                        key=lambda f: (-f.score, f.ad_id))
        self.top_flagged = ranked[:self.top_n]

    def add_done(self, verdicts: Sequence[tuple[str, FlaggedAd]]) -> None:
        """Ads a resumed scan found stored with the same text and assessed by its model,
        as (source ad id, stored verdict): counted as already stored, with their stored
        verdicts, and not assessed again."""
        self.skipped_done += len(verdicts)
        self.add_batch(BatchCounts(
            ads_new=0, ads_seen=len(verdicts), ads_changed=0, assessments_new=0,
            risks=tuple((ad_id, v.risk) for ad_id, v in verdicts),
            flagged=tuple(v for _, v in verdicts if v.risk != "low")))

    def counts(self) -> ScanCounts:
        return ScanCounts(records_read=self.records_read, errors=self.error_count,
                          ads_new=self.ads_new, ads_seen=self.ads_seen,
                          ads_changed=self.ads_changed, assessments_new=self.assessments_new)

    def summary(self) -> ScanSummary:
        return ScanSummary(
            scan_id=self.scan_id, source=self.source, model=self.model,
            records_read=self.records_read, error_count=self.error_count,
            errors=tuple(self.errors), ads_new=self.ads_new, ads_seen=self.ads_seen,
            ads_changed=self.ads_changed, assessments_new=self.assessments_new,
            risk_counts=dict(self.risk_counts), top_flagged=tuple(self.top_flagged),
            entities=self.entities, reposts=self.reposts,
            clusters_touched=self.clusters_touched, skipped_done=self.skipped_done,
            changed_ids=tuple(self.changed_ids))
