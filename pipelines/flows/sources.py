"""The `scan-sources` flow: scan the sources of a sources file (sources.toml), each as its
own scan, through one polite fetcher (robots.txt and per-host pauses shared).

A source that cannot be read at all (a missing dump, an unreadable export) is recorded
as a failed scan and reported; the other sources go on. Pages and feed entries already
stored are not fetched again (a sitemap page whose lastmod is newer than the stored copy
is), and ads already assessed by the same model are not assessed again, so a killed or
repeated scan does only what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from prefect import flow, get_run_logger
from pydantic import SecretStr

from annotation.intake import ScanSummary
from annotation.store import find_fetch_times
from corpora.sources import SourceError, read_configured
from corpora.sources.config import WEB_KINDS, SourceConfig, load_sources_file
from corpora.sources.fetch import Fetcher
from pipelines.flows.scan import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_IN_FLIGHT,
    DEFAULT_TOP_N,
    ScanOptions,
    link_key_from_settings,
    scan_stream,
    shared_store,
)
from pipelines.settings import Settings


@dataclass(frozen=True)
class SourceFailure:
    """A source that could not be read at all, and why."""

    source: str
    message: str


@dataclass(frozen=True)
class SourcesScan:
    """One scan summary per source read, and the sources that could not be."""

    summaries: tuple[ScanSummary, ...]
    failures: tuple[SourceFailure, ...]


@flow(name="scan-sources", persist_result=False)
def scan_sources(sources_path: str, only: str | None = None, db_url: SecretStr | None = None,
                 model: str | None = None, home: str | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE, top_n: int = DEFAULT_TOP_N,
                 resume: bool = True, in_flight: int = DEFAULT_IN_FLIGHT) -> SourcesScan:
    """Scan every enabled source of the sources file at `sources_path` (or the one named
    `only`) into the store at `db_url` (default: CENTINELA_DB) with the detector `model`
    (default: CENTINELA_MODEL). Without `resume`, items already stored are fetched and
    assessed again (new assessments are stored; nothing is stored twice)."""
    logger = get_run_logger()
    settings = Settings.from_env()
    sources_file = load_sources_file(sources_path, allow_loopback=settings.allow_loopback)
    options = ScanOptions(
        db_url=db_url or SecretStr(settings.db_url), model=model or settings.model,
        home=home, batch_size=batch_size, top_n=top_n, link_key=link_key_from_settings(),
        resume=resume, in_flight=in_flight)
    summaries, failures = [], []
    with Fetcher(sources_file.fetch) as fetcher:
        for source in sources_file.select(only):
            skip = _already_fetched(options.db_url) if resume and source.kind in WEB_KINDS \
                else _nothing_done
            records = read_configured(source, fetcher, skip)
            try:
                summaries.append(scan_stream(records, source.name, source.name, options))
            except (OSError, SourceError) as exc:
                message = _reason(source, exc)
                logger.error("Source %s could not be read: %s", source.name, message)
                failures.append(SourceFailure(source.name, message))
            finally:
                records.close()
        logger.info("Scanned %d sources (%d could not be read) with %d requests",
                    len(summaries), len(failures), fetcher.requests)
    return SourcesScan(tuple(summaries), tuple(failures))


def _nothing_done(key: str) -> bool:
    return False


def _already_fetched(db_url: SecretStr) -> Callable[[str], bool]:
    """Whether an item (a page URL or feed entry id, or a sitemap page key 'URL lastmod')
    is stored already, and not changed since by the sitemap's word."""
    def done(key: str) -> bool:
        item, _, lastmod = key.partition(" ")
        with shared_store(db_url).begin() as session:
            times = find_fetch_times(session, [item])
        if item not in times:
            return False
        fetched = times[item]
        return not lastmod or fetched is None or fetched >= _parse_lastmod(lastmod, fetched)
    return done


def _parse_lastmod(value: str, fallback: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback  # unreadable: trust the stored copy
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _reason(source: SourceConfig, exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{source.path}: no such file"
    if isinstance(exc, OSError):
        return f"{source.path}: {exc.strerror or exc}"
    return str(exc)
