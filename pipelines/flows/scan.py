"""The `scan-ads` flow: stream a source in batches, assess each batch, store and link it,
summarise.

The flow only orchestrates: `models.scoring` makes ads and assessments,
`annotation.linking` prepares their entities and fingerprints, `annotation.intake`
stores and links them and keeps the tally. Tasks take plain values (a database URL, a
model name, the models folder, the linking key, lists of records or ads), never a live
store or model, so any worker process can run them (a Dask cluster with `--runner
dask`); each process loads a model and opens a store once. Assessing runs ahead of
storing by a few batches (`in_flight`); storing and linking stay in order, one batch at a
time, so the result is the same on any runner.

Bad records never stop a scan: they are counted and reported with their location. A scan
is idempotent and resumable: ads already stored and assessed by the same model are not
assessed again (a killed scan run again does only the rest), and nothing is stored
twice. Logs carry counts, ids and locations, never ad text or contact details. Prefect
keeps what a task raises (in its database: states, logs, events), so a task that handles
ads fails with a `ScanStepError` naming the step, the records and the error type only: a
library's message may quote the ad. No task persists its result.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from annotation.intake import (
    MAX_REPORTED_CHANGES,
    BatchCounts,
    ScanSummary,
    ScanTally,
    store_batch,
)
from annotation.linking import PreparedAd, prepare_ads
from annotation.store import (
    ScanCounts,
    Store,
    StoreError,
    find_latest_revisions,
    find_verdicts,
    finish_scan,
    mark_interrupted,
    open_store,
    retry_locked,
    start_scan,
)
from corpora.normalize import normalize_text
from corpora.records import Ad, Assessment, ModelRef, hash_text
from corpora.sources import SourceRecord, read_source
from models.registry import shared_detector
from models.scoring import ScoredRecord, assess_records, batched
from pipelines.progress import ScanProgress, report
from pipelines.settings import DEFAULT_MODEL, Settings
from pipelines.terminal import printable

DEFAULT_BATCH_SIZE = 512
DEFAULT_TOP_N = 10
DEFAULT_IN_FLIGHT = 2

_store_lock = threading.Lock()
_open_stores: dict[str, Store] = {}


class ScanStepError(RuntimeError):
    """A step of a scan failed on some records; the message says which step, where and
    the error type, never what the records hold."""


@contextmanager
def quoting_no_ad(step: str, where: str) -> Iterator[None]:
    """Re-raise a failure of `step` on the records `where` as a ScanStepError, without
    the original message or its chain (they may quote an ad): our store's own messages
    and SQLite's fixed ones are kept."""
    try:
        yield
    except Exception as exc:
        orig = getattr(exc, "orig", None)
        if isinstance(exc, StoreError):
            reason = str(exc)
        elif isinstance(orig, sqlite3.Error):
            reason = f"{type(orig).__name__}: {orig}"
        else:
            reason = (f"{type(exc).__name__} (its message is not shown: it may quote the "
                      f"ad; `centinela detect` on those records shows it)")
        raise ScanStepError(f"{step} failed on {where}: {reason}") from None


def _span(first: str, last: str) -> str:
    return printable(first if first == last else f"{first} to {last}")


class AssessedBatch(NamedTuple):
    """One batch as a worker returns it: each record's outcome, and what linking needs of
    the ads that were assessed (same order as those ads)."""

    scored: list[ScoredRecord]
    prepared: list[PreparedAd]


@dataclass(frozen=True)
class ScanOptions:
    """What every batch of a scan needs: plain values a worker can receive."""

    db_url: SecretStr
    model: str = DEFAULT_MODEL
    home: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    top_n: int = DEFAULT_TOP_N
    link_key: SecretStr | None = None
    resume: bool = True
    in_flight: int = DEFAULT_IN_FLIGHT


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
    """Open the scan's row in the store, after marking `interrupted` the scans left
    running by a process that is gone; returns the scan id."""
    def transaction() -> tuple[int, list[int]]:
        with shared_store(db_url).begin() as session:
            interrupted = mark_interrupted(session)
            return start_scan(session, source, model), interrupted

    scan_id, interrupted = retry_locked(transaction)
    if interrupted:
        get_run_logger().warning(
            "Scans %s were left running by a process that is gone: marked interrupted (their "
            "stored batches are kept)", ", ".join(map(str, interrupted)))
    return scan_id


@task(name="assess-batch", cache_policy=NO_CACHE, persist_result=False)
def assess_batch(records: list[SourceRecord], model: str, home: str | None,
                 default_source: str, link_key: SecretStr | None = None) -> AssessedBatch:
    """Normalised ads and their assessments (or a problem) for one batch of records, and
    the entities and fingerprints of the assessed ads (with `link_key`)."""
    if not records:
        return AssessedBatch([], [])
    with quoting_no_ad("assessing", _span(records[0].location, records[-1].location)):
        detector = shared_detector(model, home)
        scored = list(assess_records(records, detector, max(len(records), 1),
                                     normalise=True, default_source=default_source))
        prepared: list[PreparedAd] = []
        if link_key is not None:
            ads = [item.ad for item in scored if item.assessment is not None and item.ad]
            prepared = prepare_ads(ads, link_key.get_secret_value().encode("utf-8"))
    return AssessedBatch(scored, prepared)


@task(name="store-batch", cache_policy=NO_CACHE, persist_result=False)
def store_assessed(db_url: SecretStr, scan_id: int, ads: list[Ad],
                   assessments: list[Assessment], prepared: list[PreparedAd]) -> BatchCounts:
    """Store and link one batch of ads with their assessments (never retried: the unique
    keys make a rerun safe, a retry would only hide a real problem)."""
    with quoting_no_ad("storing", "ads " + _span(ads[0].id, ads[-1].id) if ads else "no ads"):
        return store_batch(shared_store(db_url), scan_id, ads, assessments, prepared)


@task(name="finish-scan", cache_policy=NO_CACHE, persist_result=False)
def finish_scan_row(db_url: SecretStr, scan_id: int, counts: ScanCounts, status: str) -> None:
    """Close the scan's row with its counts and status."""
    def transaction() -> None:
        with shared_store(db_url).begin() as session:
            finish_scan(session, scan_id, counts, status)  # type: ignore[arg-type]

    retry_locked(transaction)


@flow(name="scan-ads", persist_result=False)
def scan_ads(source: str, db_url: SecretStr, model: str = DEFAULT_MODEL,
             home: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
             top_n: int = DEFAULT_TOP_N, resume: bool = True,
             in_flight: int = DEFAULT_IN_FLIGHT) -> ScanSummary:
    """Scan a source file (JSONL, CSV, RSS/Atom, WARC, Telegram export) into the store at
    `db_url`.

    Reads the source in batches of `batch_size` records (memory does not grow with the
    file), assesses them with the registered detector `model` (its artifacts under
    `home`, by default CENTINELA_HOME), stores and links new ads and assessments, and
    returns a summary with the `top_n` highest-scoring flagged ads. With `resume`, ads
    already assessed by this model are passed over. Raises when the source cannot be read
    at all (OSError or corpora.sources.SourceError); the scan is then recorded as failed.
    """
    if batch_size < 1 or top_n < 0 or in_flight < 1:
        raise ValueError(f"need batch_size >= 1, top_n >= 0 and in_flight >= 1, got "
                         f"{batch_size}, {top_n} and {in_flight}")
    options = ScanOptions(db_url=db_url, model=model, home=home, batch_size=batch_size,
                          top_n=top_n, link_key=link_key_from_settings(), resume=resume,
                          in_flight=in_flight)
    with closing(read_source(source)) as records:
        return scan_stream(records, source, Path(source).name, options)


def link_key_from_settings() -> SecretStr:
    """The install's key for contact pseudonyms, read where a flow starts."""
    return SecretStr(Settings.from_env().secret.decode("utf-8"))


def scan_stream(records: Iterable[SourceRecord], label: str, default_source: str,
                options: ScanOptions) -> ScanSummary:
    """Scan a stream of records as one scan named `label` (see `scan_ads`)."""
    logger = get_run_logger()
    ref = load_model(options.model, options.home)
    tally = ScanTally(scan_id=start_scan_row(options.db_url, label, ref), source=label,
                      model=ref, top_n=options.top_n)
    logger.info("Scan %d of %s with %s v%s", tally.scan_id, label, ref.name, ref.version)
    pending: deque[Any] = deque()
    status = "failed"
    try:
        for batch in batched(records, options.batch_size):
            tally.add_records(len(batch))
            todo = _drop_done(batch, options, ref, tally) if options.resume else batch
            pending.append(assess_batch.submit(todo, options.model, options.home,
                                               default_source, options.link_key))
            while len(pending) >= options.in_flight:
                _store_assessed_batch(pending.popleft().result(), options, tally)
        while pending:
            _store_assessed_batch(pending.popleft().result(), options, tally)
        status = "finished"
    finally:
        for future in pending:
            future.wait()  # let workers finish before the scan is closed
        finish_scan_row(options.db_url, tally.scan_id, tally.counts(), status)
    summary = tally.summary()
    report(ScanProgress(label, summary.records_read, summary.ads_new,
                        sum(summary.risk_counts[r] for r in ("medium", "high")),
                        summary.reposts, done=True))
    log_summary(summary)
    return summary


def _drop_done(batch: list[SourceRecord], options: ScanOptions, ref: ModelRef,
               tally: ScanTally) -> list[SourceRecord]:
    """The records of a batch still to assess: those whose ad's latest stored text is not
    this one, assessed by this model (what a killed scan left, or a new or changed ad)."""
    keys = {index: key for index, record in enumerate(batch)
            if (key := _resume_key(record)) is not None}
    if not keys:
        return batch
    with shared_store(options.db_url).begin() as session:
        stored = find_latest_revisions(session, [ad_id for ad_id, _ in keys.values()])
        verdicts = find_verdicts(session, [latest.row_id for latest in stored.values()],
                                 ref.sha256)
    done = {index: (ad_id, verdicts[stored[ad_id].row_id])
            for index, (ad_id, content) in keys.items()
            if ad_id in stored and stored[ad_id].content_hash == content
            and stored[ad_id].row_id in verdicts}
    if not done:
        return batch
    tally.add_done([done[index] for index in sorted(done)])
    return [record for index, record in enumerate(batch) if index not in done]


def _resume_key(record: SourceRecord) -> tuple[str, str] | None:
    """A record's ad id and the hash of its clean text, or None when it has none (or a
    lone surrogate, which no hash or database takes: assessing reports it)."""
    data = record.data
    if data is None or not isinstance(data.get("id"), (str, int)) \
            or not isinstance(data.get("text"), str):
        return None
    ad_id = str(data["id"])
    try:
        ad_id.encode("utf-8")
        return ad_id, hash_text(normalize_text(data["text"]).text)
    except UnicodeEncodeError:
        return None


def _store_assessed_batch(assessed: AssessedBatch, options: ScanOptions,
                          tally: ScanTally) -> None:
    for item in assessed.scored:
        if item.problem is not None:
            tally.add_problem(item.record.location, item.problem)
    kept = [item for item in assessed.scored if item.assessment is not None and item.ad]
    if kept:
        tally.add_batch(store_assessed(
            options.db_url, tally.scan_id, [item.ad for item in kept],
            [item.assessment for item in kept], assessed.prepared))
    flagged = tally.risk_counts["medium"] + tally.risk_counts["high"]
    get_run_logger().info(
        "%s: %d records, %d new ads, %d already stored, %d flagged, %d re-posts, %d errors",
        tally.source, tally.records_read, tally.ads_new, tally.ads_seen,
        flagged, tally.reposts, tally.error_count)
    report(ScanProgress(tally.source, tally.records_read, tally.ads_new, flagged, tally.reposts,
                        linked=tally.linked, repost_seconds=tally.repost_seconds))


def log_summary(summary: ScanSummary) -> None:
    """The scan's problems and counts in the Prefect log (never ad text)."""
    logger = get_run_logger()
    for problem in summary.errors:
        logger.warning("Skipped %s: %s", problem.location, problem.message)
    if summary.error_count > len(summary.errors):
        logger.warning("... and %d more bad records", summary.error_count - len(summary.errors))
    if summary.ads_changed:
        first = " (the first of them)" if len(summary.changed_ids) == MAX_REPORTED_CHANGES else ""
        logger.warning("%d ads came with a new text under a stored id, stored and assessed "
                       "as new revisions; ids%s: %s", summary.ads_changed, first,
                       ", ".join(printable(ad_id) for ad_id in summary.changed_ids))
    risks = ", ".join(f"{risk} {count}" for risk, count in summary.risk_counts.items())
    logger.info("Scan %d: %d records, %d errors, %d new ads, %d already stored, "
                "%d new assessments, %d entities, %d re-posts, %d clusters touched; risk: %s",
                summary.scan_id, summary.records_read, summary.error_count, summary.ads_new,
                summary.ads_seen, summary.assessments_new,
                summary.entities, summary.reposts, summary.clusters_touched, risks)
