"""The `scan-ads` flow: read a source, build ads, detect in batches, store, summarise.

Bad records never stop a scan: they are counted and reported with their location. A scan
is idempotent: ads are keyed by id and assessments by (ad id, model sha256), so scanning
the same source again with the same model stores nothing new. Logs carry counts, ids and
locations, never ad text or contact details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from annotation.store import (
    FlaggedAd,
    ScanCounts,
    Store,
    find_unstorable_text,
    finish_scan,
    open_store,
    save_ads,
    save_assessments,
    start_scan,
)
from corpora.ads import RecordError, ad_from_record
from corpora.records import RISK_LEVELS, Ad, Assessment, ModelRef, Risk
from corpora.sources import SourceRecord, read_source
from pipelines.settings import DEFAULT_MODEL

MAX_REPORTED_ERRORS = 20
DEFAULT_BATCH_SIZE = 512
DEFAULT_TOP_N = 10
# Errors that no retry can fix: reading again would fail the same way.
_PERMANENT_IO_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError,
                        PermissionError)


@runtime_checkable
class AdDetector(Protocol):
    """What the flow needs of a detector (e.g. `models.detector.Detector`)."""

    @property
    def ref(self) -> ModelRef: ...

    def assess(self, ads: Sequence[Ad]) -> list[Assessment]: ...


@dataclass(frozen=True)
class RecordProblem:
    """A record that could not become an ad: where it is (file:line) and what is wrong."""

    location: str
    message: str


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


@dataclass(frozen=True)
class BatchCounts:
    """What storing one batch did; `kept` are the assessments of ads stored with that text."""

    ads_new: int
    ads_seen: int
    ads_changed: int
    assessments_new: int
    kept: tuple[Assessment, ...]


def _retry_on_transient_io(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except _PERMANENT_IO_ERRORS:
        return False
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="read-source", retries=2, retry_delay_seconds=2,
      retry_condition_fn=_retry_on_transient_io, cache_policy=NO_CACHE)
def read_source_records(source: str) -> list[SourceRecord]:
    """Every record of the source (ads or error records); raises if it cannot be read."""
    return list(read_source(source))


@task(name="detect-batch", cache_policy=NO_CACHE)
def detect_batch(detector: AdDetector, ads: list[Ad]) -> list[Assessment]:
    """The detector's assessments of one batch of ads, in order."""
    return detector.assess(ads)


@task(name="store-batch", cache_policy=NO_CACHE)
def store_batch(store: Store, scan_id: int, ads: list[Ad],
                assessments: list[Assessment]) -> BatchCounts:
    """Store a batch of ads and their assessments in one transaction (never retried:
    the unique keys make a rerun safe, a retry would only hide a real problem)."""
    with store.begin() as session:
        saved = save_ads(session, ads, scan_id)
        kept = tuple(assessment for assessment, outcome
                     in zip(assessments, saved.outcomes, strict=True) if outcome != "changed")
        stored = save_assessments(session, kept, scan_id)
    return BatchCounts(saved.new, saved.seen, saved.changed, stored.new, kept)


@task(name="start-scan", cache_policy=NO_CACHE)
def start_scan_row(store: Store, source: str, model: ModelRef) -> int:
    """Open the scan's row in the store; returns the scan id."""
    with store.begin() as session:
        return start_scan(session, source, model)


@task(name="finish-scan", cache_policy=NO_CACHE)
def finish_scan_row(store: Store, scan_id: int, counts: ScanCounts, status: str) -> None:
    """Close the scan's row with its counts and status."""
    with store.begin() as session:
        finish_scan(session, scan_id, counts, status)  # type: ignore[arg-type]


@flow(name="scan-ads")
def scan_ads(source: str, db_url: SecretStr, model: str = DEFAULT_MODEL,
             batch_size: int = DEFAULT_BATCH_SIZE, top_n: int = DEFAULT_TOP_N,
             detector: AdDetector | None = None) -> ScanSummary:
    """Scan a source file (JSONL, CSV, RSS/Atom) into the store at `db_url`.

    Builds normalised ads, assesses them in batches of `batch_size` with `detector` (by
    default the registered detector named `model`), stores new ads and assessments, and
    returns a summary with the `top_n` highest-scoring flagged ads. Raises when the
    source cannot be read at all (OSError or corpora.sources.SourceError); the scan is
    then recorded as failed.
    """
    logger = get_run_logger()
    if batch_size < 1 or top_n < 0:
        raise ValueError(f"need batch_size >= 1 and top_n >= 0, got {batch_size} and {top_n}")
    if detector is None:
        from models.registry import load_detector

        detector = load_detector(model)
    store = open_store(db_url.get_secret_value())
    try:
        tally = _Tally(source=source, model=detector.ref, top_n=top_n)
        tally.scan_id = start_scan_row(store, source, detector.ref)
        logger.info("Scan %d of %s with %s v%s", tally.scan_id, source, detector.ref.name,
                    detector.ref.version)
        try:
            records = read_source_records(source)
            logger.info("Read %d records", len(records))
            for start in range(0, len(records), batch_size):
                _scan_batch(records[start:start + batch_size], store, detector, tally)
        except BaseException:
            finish_scan_row(store, tally.scan_id, tally.counts(), "failed")
            raise
        finish_scan_row(store, tally.scan_id, tally.counts(), "finished")
    finally:
        store.close()
    summary = tally.summary()
    _log_summary(summary)
    return summary


def _scan_batch(records: list[SourceRecord], store: Store, detector: AdDetector,
                tally: _Tally) -> None:
    ads = tally.build_ads(records)
    if not ads:
        return
    assessments = detect_batch(detector, ads)
    counts = store_batch(store, tally.scan_id, ads, assessments)
    tally.add_batch(counts)


@dataclass
class _Tally:
    """Running counts of one scan; only ids, scores and locations, never ad text."""

    source: str
    model: ModelRef
    top_n: int
    scan_id: int = 0
    records_read: int = 0
    error_count: int = 0
    errors: list[RecordProblem] = field(default_factory=list)
    ads_new: int = 0
    ads_seen: int = 0
    ads_changed: int = 0
    assessments_new: int = 0
    risk_counts: dict[Risk, int] = field(default_factory=lambda: dict.fromkeys(RISK_LEVELS, 0))
    top_flagged: list[FlaggedAd] = field(default_factory=list)
    _counted_ids: set[str] = field(default_factory=set)

    def build_ads(self, records: list[SourceRecord]) -> list[Ad]:
        default_source = Path(self.source).name
        ads = []
        for record in records:
            self.records_read += 1
            if record.data is None:
                self._add_problem(record.location, record.error or "unreadable record")
                continue
            data = record.data if "raw_ref" in record.data \
                else {**record.data, "raw_ref": record.location}
            try:
                ad = ad_from_record(data, normalise=True, default_source=default_source)
            except RecordError as exc:
                self._add_problem(record.location, str(exc))
                continue
            if reason := find_unstorable_text(ad):
                self._add_problem(record.location, reason)
                continue
            ads.append(ad)
        return ads

    def add_batch(self, counts: BatchCounts) -> None:
        self.ads_new += counts.ads_new
        self.ads_seen += counts.ads_seen
        self.ads_changed += counts.ads_changed
        self.assessments_new += counts.assessments_new
        flagged = []
        for assessment in counts.kept:
            if assessment.ad_id in self._counted_ids:
                continue  # the same ad twice in one source counts once
            self._counted_ids.add(assessment.ad_id)
            self.risk_counts[assessment.risk] += 1
            if assessment.risk != "low":
                flagged.append(FlaggedAd.from_assessment(assessment))
        ranked = sorted([*self.top_flagged, *flagged], key=lambda f: (-f.score, f.ad_id))
        self.top_flagged = ranked[:self.top_n]

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
            risk_counts=dict(self.risk_counts), top_flagged=tuple(self.top_flagged))

    def _add_problem(self, location: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RecordProblem(location, message))


def _log_summary(summary: ScanSummary) -> None:
    logger = get_run_logger()
    for problem in summary.errors:
        logger.warning("Skipped %s: %s", problem.location, problem.message)
    if summary.error_count > len(summary.errors):
        logger.warning("... and %d more bad records", summary.error_count - len(summary.errors))
    if summary.ads_changed:
        logger.warning("%d ads have the id of a stored ad with another text; kept the stored "
                       "text and did not store their assessments", summary.ads_changed)
    risks = ", ".join(f"{risk} {count}" for risk, count in summary.risk_counts.items())
    logger.info("Scan %d: %d records, %d errors, %d new ads, %d already stored, "
                "%d new assessments; risk: %s", summary.scan_id, summary.records_read,
                summary.error_count, summary.ads_new, summary.ads_seen,
                summary.assessments_new, risks)
