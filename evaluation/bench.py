"""The benchmarks: `detect` throughput and peak memory beside bare spaCy tokenization, and
what a whole scan costs as the store grows (the stream of ads and its measures; the
scan itself is run by `centinela bench --scan`)."""

from __future__ import annotations

import itertools
import json
import resource
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpora.records import Ad
from models.detector import Detector


@dataclass(frozen=True)
class BenchResult:
    """One detect benchmark: wall and CPU seconds of `assess` and of a bare spaCy
    tokenization of the same texts (one process, one thread of Python). `detect_*` time
    the ads with the detector's caches emptied first (each distinct text met anew, as in a
    scan of new ads); `repeat_cpu_seconds` the same ads once more with them kept (what
    re-posts cost: the semantic ensemble embeds a sentence once per process)."""

    ads: int
    distinct_texts: int
    chars_per_ad: float
    detect_seconds: float
    detect_cpu_seconds: float
    repeat_cpu_seconds: float
    tokenize_seconds: float
    tokenize_cpu_seconds: float
    peak_traced_mb: float
    peak_rss_mb: float

    @property
    def ads_per_second(self) -> float:
        return self.ads / self.detect_seconds if self.detect_seconds else float("inf")

    @property
    def ads_per_cpu_second(self) -> float:
        return self.ads / self.detect_cpu_seconds if self.detect_cpu_seconds else float("inf")

    @property
    def repeat_ads_per_cpu_second(self) -> float:
        return self.ads / self.repeat_cpu_seconds if self.repeat_cpu_seconds else float("inf")

    @property
    def ratio_to_tokenization(self) -> float:
        """CPU time of detect over CPU time of tokenizing (less noisy than wall time on a
        shared machine)."""
        return (self.detect_cpu_seconds / self.tokenize_cpu_seconds
                if self.tokenize_cpu_seconds else float("inf"))


def repeat_ads(ads: Sequence[Ad], n: int) -> list[Ad]:
    """`n` ads cycling through `ads`, each with its own id."""
    if not ads:
        raise ValueError("no ads to benchmark")
    return [ad.model_copy(update={"id": f"{ad.id}#{i}"})
            for i, ad in zip(range(n), itertools.cycle(ads))]


def _timed(run, before=lambda: None, runs: int = 2) -> tuple[float, float]:
    """(wall, CPU) seconds of `run()`; the best of `runs` runs, each after `before()`."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def _tokenize(ads: Sequence[Ad], batch_size: int) -> None:
    from models.nlp import blank

    for lang in ("es", "pt"):
        tokenizer = blank(lang).tokenizer
        for _ in tokenizer.pipe([ad.text for ad in ads if ad.lang == lang], batch_size=batch_size):
            pass


def run_benchmark(ads: Sequence[Ad], detector: Detector, batch_size: int = 256) -> BenchResult:
    """Time `detector.assess` over `ads` in batches (after one warm-up batch): once with
    its caches emptied first, then once more with them kept (`BenchResult`); peak traced
    memory over the first two batches, caches emptied; and a bare `spacy.blank`
    tokenization of the same texts, in the same process."""
    detector.assess(list(ads[:batch_size]))
    _tokenize(ads[:batch_size], batch_size)

    def detect(chosen: Sequence[Ad] = ads) -> None:
        for i in range(0, len(chosen), batch_size):
            detector.assess(list(chosen[i:i + batch_size]))

    tokenize_wall, tokenize_cpu = _timed(lambda: _tokenize(ads, batch_size))
    detect_wall, detect_cpu = _timed(detect, detector.clear_caches, runs=1)
    _, repeat_cpu = _timed(detect, runs=1)
    detector.clear_caches()
    tracemalloc.start()
    detect(ads[:2 * batch_size])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BenchResult(ads=len(ads), distinct_texts=len({a.text for a in ads}),
                       chars_per_ad=sum(len(a.text) for a in ads) / len(ads),
                       detect_seconds=detect_wall, detect_cpu_seconds=detect_cpu,
                       repeat_cpu_seconds=repeat_cpu,
                       tokenize_seconds=tokenize_wall, tokenize_cpu_seconds=tokenize_cpu,
                       peak_traced_mb=peak / 1e6, peak_rss_mb=rss_mb)


def startup_seconds(model: str, ad: dict[str, object], runs: int = 3) -> tuple[float, float]:
    """(wall, CPU) seconds of `centinela detect` on one ad in a new process, the best of
    `runs` after one run that fills the caches (compiled rules)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.jsonl"
        path.write_text(json.dumps(ad, ensure_ascii=False) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "pipelines.cli", "detect", str(path), "--model", model]
        best = (float("inf"), float("inf"))
        for n in range(runs + 1):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - wall
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if n:
                best = min(best, (wall, cpu))
    return best


def real_ads(folder: Path, n: int) -> list[Ad]:
    """Up to `n` real ads from `folder` (*.jsonl), taken in turn from each file."""
    from corpora.sources.ads import build_ads
    from corpora.sources.jsonl import read_jsonl

    per_file = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        with path.open("rb") as stream:
            per_file.append([b.ad for b in build_ads(read_jsonl(stream, str(path)))
                             if b.ad is not None and b.ad.lang != "und"])
    out = [ad for group in itertools.zip_longest(*per_file) for ad in group if ad is not None]
    return out[:n]


@dataclass(frozen=True)
class ScanSample:
    """The state of a benchmarked scan after one stored batch."""

    records: int
    seconds: float
    rss_mb: float
    linked: int
    repost_seconds: float


def cycled_real_ads(folder: Path, n: int) -> Iterator[dict[str, object]]:
    """`n` records cycling through the real ads in `folder` (*.jsonl), each with a new id.

    From the second cycle on, each text ends with a reference line, so a copy is a near
    duplicate of its original (found through the LSH index) rather than an exact one.
    """
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl ads in {folder}")
    produced, cycle = 0, 0
    while produced < n:
        for path in files:
            with path.open(encoding="utf-8") as stream:
                for line in stream:
                    if produced >= n:
                        return
                    ad = json.loads(line)
                    text = ad["text"] if cycle == 0 else f"{ad['text']}\nRef. {cycle}-{produced}"
                    yield {"id": f"bench-{produced}", "lang": ad.get("lang"),
                           "country": ad.get("country"), "title": ad.get("title"), "text": text}
                    produced += 1
        cycle += 1


def near_duplicate_cost(samples: Sequence[ScanSample], mark: int, window: int) -> float | None:
    """Seconds spent finding re-posts per ad linked, over the `window` records up to
    `mark` (None when the scan did not get that far)."""
    before = [s for s in samples if s.records <= mark - window]
    upto = [s for s in samples if s.records <= mark]
    if not upto or upto[-1].records < mark * 0.95:
        return None
    start = before[-1] if before else ScanSample(0, 0.0, 0.0, 0, 0.0)
    end = upto[-1]
    linked = end.linked - start.linked
    return (end.repost_seconds - start.repost_seconds) / linked if linked else None


def current_rss_mb() -> float:
    """This process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
