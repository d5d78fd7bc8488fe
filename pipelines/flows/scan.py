"""The `scan-ads` flow: stream a source in batches, assess each batch, store it, summarise.

The flow only orchestrates: `models.scoring` makes ads and assessments, `annotation.intake`
stores them and keeps the tally. Tasks take plain values (a database URL, a model name,
the models folder, lists of records or ads), never a live store or model, so any worker
process can run them; each process loads a model and opens a store once.

Bad records never stop a scan: they are counted and reported with their location. A scan
is idempotent: scanning the same source again with the same model stores nothing new.
Logs carry counts, ids and locations, never ad text or contact details.
"""

from __future__ import annotations

import threading
from contextlib import closing
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from annotation.intake import BatchCounts, ScanSummary, ScanTally, store_batch
from annotation.store import ScanCounts, Store, finish_scan, open_store, start_scan
from corpora.records import Ad, Assessment, ModelRef
from corpora.sources import SourceRecord, read_source
from models.registry import shared_detector
from models.scoring import ScoredRecord, assess_records, batched
from pipelines.settings import DEFAULT_MODEL

DEFAULT_BATCH_SIZE = 512
DEFAULT_TOP_N = 10

_store_lock = threading.Lock()
_open_stores: dict[str, Store] = {}


def shared_store(db_url: SecretStr) -> Store:
    """The store at `db_url`, opened (and migrated) once per process; opening another URL
    closes the previous one."""
    url = db_url.get_secret_value()
    with _store_lock:
        if url not in _open_stores:
            for stale in _open_stores.values():
                stale.close()
            _open_stores.clear()
            _open_stores[url] = open_store(url)
        return _open_stores[url]


@task(name="load-model", cache_policy=NO_CACHE, persist_result=False)
def load_model(model: str, home: str | None) -> ModelRef:
    """Load the detector `model` into this process; returns what identifies it."""
    return shared_detector(model, home).ref


@task(name="start-scan", cache_policy=NO_CACHE, persist_result=False)
def start_scan_row(db_url: SecretStr, source: str, model: ModelRef) -> int:
    """Open the scan's row in the store; returns the scan id."""
    with shared_store(db_url).begin() as session:
        return start_scan(session, source, model)


@task(name="assess-batch", cache_policy=NO_CACHE, persist_result=False)
def assess_batch(records: list[SourceRecord], model: str, home: str | None,
                 default_source: str) -> list[ScoredRecord]:
    """Normalised ads and their assessments (or a problem) for one batch of records."""
    detector = shared_detector(model, home)
    return list(assess_records(records, detector, max(len(records), 1), normalise=True,
                               default_source=default_source))


@task(name="store-batch", cache_policy=NO_CACHE, persist_result=False)
def store_assessed(db_url: SecretStr, scan_id: int, ads: list[Ad],
                   assessments: list[Assessment]) -> BatchCounts:
    """Store one batch of ads with their assessments (never retried: the unique keys make
    a rerun safe, a retry would only hide a real problem)."""
    return store_batch(shared_store(db_url), scan_id, ads, assessments)


@task(name="finish-scan", cache_policy=NO_CACHE, persist_result=False)
def finish_scan_row(db_url: SecretStr, scan_id: int, counts: ScanCounts, status: str) -> None:
    """Close the scan's row with its counts and status."""
    with shared_store(db_url).begin() as session:
        finish_scan(session, scan_id, counts, status)  # type: ignore[arg-type]


@flow(name="scan-ads", persist_result=False)
def scan_ads(source: str, db_url: SecretStr, model: str = DEFAULT_MODEL,
             home: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
             top_n: int = DEFAULT_TOP_N) -> ScanSummary:
    """Scan a source file (JSONL, CSV, RSS/Atom) into the store at `db_url`.

    Reads the source in batches of `batch_size` records (memory does not grow with the
    file), assesses them with the registered detector `model` (its artifacts under
    `home`, by default CENTINELA_HOME), stores new ads and assessments, and returns a
    summary with the `top_n` highest-scoring flagged ads. Raises when the source cannot
    be read at all (OSError or corpora.sources.SourceError); the scan is then recorded
    as failed.
    """
    logger = get_run_logger()
    if batch_size < 1 or top_n < 0:
        raise ValueError(f"need batch_size >= 1 and top_n >= 0, got {batch_size} and {top_n}")
    ref = load_model(model, home)
    tally = ScanTally(scan_id=start_scan_row(db_url, source, ref), source=source, model=ref,
                      top_n=top_n)
    logger.info("Scan %d of %s with %s v%s", tally.scan_id, source, ref.name, ref.version)
    status = "failed"
    try:
        with closing(read_source(source)) as records:
            for batch in batched(records, batch_size):
                _scan_batch(batch, db_url, model, home, tally)
        status = "finished"
    finally:
        finish_scan_row(db_url, tally.scan_id, tally.counts(), status)
    summary = tally.summary()
    _log_summary(summary)
    return summary


def _scan_batch(records: list[SourceRecord], db_url: SecretStr, model: str, home: str | None,
                tally: ScanTally) -> None:
    scored = assess_batch(records, model, home, Path(tally.source).name)
    tally.add_records(len(records))
    for item in scored:
        if item.problem is not None:
            tally.add_problem(item.record.location, item.problem)
    assessed = [item for item in scored if item.assessment is not None]
    if assessed:
        tally.add_batch(store_assessed(db_url, tally.scan_id, [item.ad for item in assessed],
                                       [item.assessment for item in assessed]))


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
