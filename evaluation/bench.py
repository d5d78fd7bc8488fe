"""The detect benchmark: throughput and peak memory, beside bare spaCy tokenization."""

from __future__ import annotations

import itertools
import resource
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass

from corpora.records import Ad
from models.detector import Detector


@dataclass(frozen=True)
class BenchResult:
    ads: int
    detect_seconds: float
    tokenize_seconds: float
    peak_traced_mb: float
    peak_rss_mb: float

    @property
    def ads_per_second(self) -> float:
        return self.ads / self.detect_seconds if self.detect_seconds else float("inf")

    @property
    def ratio_to_tokenization(self) -> float:
        return self.detect_seconds / self.tokenize_seconds if self.tokenize_seconds else float("inf")


def repeat_ads(ads: Sequence[Ad], n: int) -> list[Ad]:
    """`n` ads cycling through `ads`, each with its own id."""
    if not ads:
        raise ValueError("no ads to benchmark")
    return [ad.model_copy(update={"id": f"{ad.id}#{i}"})
            for i, ad in zip(range(n), itertools.cycle(ads))]


def _tokenize_seconds(ads: Sequence[Ad], batch_size: int) -> float:
    import spacy

    start = time.perf_counter()
    for lang in ("es", "pt"):
        tokenizer = spacy.blank(lang).tokenizer
        for _ in tokenizer.pipe([ad.text for ad in ads if ad.lang == lang], batch_size=batch_size):
            pass
    return time.perf_counter() - start


def run_benchmark(ads: Sequence[Ad], detector: Detector, batch_size: int = 256) -> BenchResult:
    """Time `detector.assess` over `ads` in batches (after one warm-up batch) and a bare
    `spacy.blank` tokenization of the same texts, in the same process."""
    detector.assess(list(ads[:batch_size]))
    tokenize = _tokenize_seconds(ads, batch_size)
    tracemalloc.start()
    start = time.perf_counter()
    for i in range(0, len(ads), batch_size):
        detector.assess(list(ads[i:i + batch_size]))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Timing without tracemalloc's overhead, for the throughput figure.
    start = time.perf_counter()
    for i in range(0, len(ads), batch_size):
        detector.assess(list(ads[i:i + batch_size]))
    elapsed = min(elapsed, time.perf_counter() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BenchResult(ads=len(ads), detect_seconds=elapsed, tokenize_seconds=tokenize,
                       peak_traced_mb=peak / 1e6, peak_rss_mb=rss_mb)
