"""The one batch driver: raw records → ads → assessments, in batches, in input order.

`centinela detect`, the scan flow and anything else that scores records call
`assess_records`. A record that cannot become an ad, or an ad the detector fails on,
comes out with a `problem` (a message that never quotes the ad) instead of stopping the
batch or the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple, TypeVar

from corpora.records import Ad, Assessment
from corpora.sources.ads import BuiltAd, build_ads
from corpora.sources.record import SourceRecord
from models.detector import Detector

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ScoredRecord(NamedTuple):
    """One record and what became of it: an ad and its assessment, or a problem."""

    record: SourceRecord
    ad: Ad | None
    assessment: Assessment | None
    problem: str | None


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last may be shorter), read lazily from `items`."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def assess_records(records: Iterable[SourceRecord], detector: Detector, batch_size: int = 256,
                   *, normalise: bool = False,
                   default_source: str = "unknown") -> Iterator[ScoredRecord]:
    """Score raw records in batches of `batch_size`; one `ScoredRecord` per record, in order.

    Without `normalise` the ad text is the input text exactly, so evidence offsets point
    into the input (CONTRACT §3); with it, into the normalised text that a store keeps.
    """
    built = build_ads(records, normalise=normalise, default_source=default_source)
    for batch in batched(built, batch_size):
        yield from _assess_batch(batch, detector)


def _assess_batch(batch: list[BuiltAd], detector: Detector) -> Iterator[ScoredRecord]:
    ads = [item.ad for item in batch if item.ad is not None]
    verdicts = iter(_assess_isolated(detector, ads))
    for record, ad, problem in batch:
        if ad is None:
            yield ScoredRecord(record, None, None, problem)
            continue
        verdict = next(verdicts)
        if isinstance(verdict, str):
            yield ScoredRecord(record, ad, None, verdict)
        else:
            yield ScoredRecord(record, ad, verdict, None)


def _assess_isolated(detector: Detector, ads: Sequence[Ad]) -> list[Assessment | str]:
    """Assessments of `ads`; when the detector raises, the batch is split in halves until
    the ads it fails on are found, and each of those gets a problem instead."""
    if not ads:
        return []
    try:
        assessments = detector.assess(ads)
    except Exception as exc:  # a detector bug on one ad must not lose the others
        if len(ads) == 1:
            logger.warning("detector %s failed on one ad (%s)", detector.ref.name,
                           type(exc).__name__)
            return [f"the detector failed on this ad ({type(exc).__name__})"]
        half = len(ads) // 2
        return _assess_isolated(detector, ads[:half]) + _assess_isolated(detector, ads[half:])
    if len(assessments) != len(ads):
        raise RuntimeError(f"detector {detector.ref.name} returned {len(assessments)} "
                           f"assessments for {len(ads)} ads")
    return list(assessments)
