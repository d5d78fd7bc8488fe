"""Evaluation metrics: pure functions over numpy arrays and records (no I/O).

Conventions, so that every number in a report means one thing:

- Indicator labels are 0/1 matrices of shape (ads, indicators), columns in taxonomy order.
- Precision is undefined (None) with no prediction, recall with no gold positive; F1 is
  `2tp / (2tp + fp + fn)`, undefined only when there is neither. Macro-F1 averages the
  defined F1s (indicators neither in the gold labels nor predicted do not count); micro
  scores come from the summed counts.
- Rankings are tie-aware: precision@k is the expected precision when ads with equal
  scores are ordered at random, and average precision steps over distinct scores (as
  scikit-learn's `average_precision_score` does), so input order never changes a number.
- Calibration bins are `[i/n, (i+1)/n)`, the last one closed at 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from corpora.records import RISK_LEVELS, Assessment, Evidence, LabelledAd

Span = tuple[int, int]


# --- indicator labels ------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one label (or summed)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def support(self) -> int:
        """Gold positives."""
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"precision": _round(self.precision), "recall": _round(self.recall),
                "f1": _round(self.f1), "support": self.support, "predicted": self.predicted,
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def label_matrix(label_sets: Sequence[Iterable[str]], ids: Sequence[str]) -> np.ndarray:
    """A boolean (ads, indicators) matrix; an id not in `ids` is a ValueError."""
    column = {indicator: j for j, indicator in enumerate(ids)}
    matrix = np.zeros((len(label_sets), len(ids)), dtype=bool)
    for i, labels in enumerate(label_sets):
        for label in labels:
            if label not in column:
                raise ValueError(f"unknown indicator id {label!r} in row {i}")
            matrix[i, column[label]] = True
    return matrix


def count_labels(y_true: np.ndarray, y_pred: np.ndarray) -> list[Counts]:
    """Counts per column of two boolean (ads, labels) matrices of the same shape."""
    y_true, y_pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(f"label matrices differ in shape: {y_true.shape} vs {y_pred.shape}")
    tp = (y_true & y_pred).sum(axis=0)
    fp = (~y_true & y_pred).sum(axis=0)
    fn = (y_true & ~y_pred).sum(axis=0)
    return [Counts(int(a), int(b), int(c)) for a, b, c in zip(tp, fp, fn, strict=True)]


def micro_counts(counts: Iterable[Counts]) -> Counts:
    """The summed counts: their precision, recall and F1 are the micro averages."""
    return sum(counts, Counts())


def macro_f1(counts: Iterable[Counts]) -> float | None:
    """Mean F1 over labels whose F1 is defined (present in gold or predictions)."""
    values = [c.f1 for c in counts if c.f1 is not None]
    return sum(values) / len(values) if values else None


# --- risk levels -----------------------------------------------------------------------

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_LEVEL = 0.95
BOOTSTRAP_SEED = 20261204


def bootstrap_intervals(y_true: np.ndarray, y_pred: np.ndarray, *,
                        resamples: int = BOOTSTRAP_RESAMPLES, level: float = BOOTSTRAP_LEVEL,
                        seed: int = BOOTSTRAP_SEED) -> dict[str, object]:
    """Percentile bootstrap intervals of precision, recall and F1, per indicator (column)
    and micro, resampling ads with replacement (`resamples` times, seeded). A bound is
    None when the score is undefined in most resamples (too few gold or predicted)."""
    n = len(y_true)
    empty = {"precision": None, "recall": None, "f1": None}
    if n == 0:
        return {"resamples": resamples, "level": level, "seed": seed,
                "per_indicator": [dict(empty) for _ in range(y_true.shape[1])],
                "micro": dict(empty)}
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    truth, pred = y_true.astype(bool), y_pred.astype(bool)
    tp = weights @ (truth & pred).astype(np.int64)
    fp = weights @ (~truth & pred).astype(np.int64)
    fn = weights @ (truth & ~pred).astype(np.int64)
    micro = [tp.sum(axis=1, keepdims=True), fp.sum(axis=1, keepdims=True),
             fn.sum(axis=1, keepdims=True)]

    def bounds(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> list[dict[str, list | None]]:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = {"precision": tp / (tp + fp), "recall": tp / (tp + fn),
                      "f1": 2 * tp / (2 * tp + fp + fn)}
        tail = 100 * (1 - level) / 2
        found: list[dict[str, list | None]] = []
        for column in range(tp.shape[1]):
            row: dict[str, list | None] = {}
            for name, values in scores.items():
                defined = values[:, column][~np.isnan(values[:, column])]
                row[name] = None if len(defined) * 2 < resamples else [
                    _round(float(np.percentile(defined, tail))),
                    _round(float(np.percentile(defined, 100 - tail)))]
            found.append(row)
        return found

    return {"resamples": resamples, "level": level, "seed": seed,
            "per_indicator": bounds(tp, fp, fn), "micro": bounds(*micro)[0]}


def risk_confusion(gold: Sequence[str], predicted: Sequence[str],
                   levels: Sequence[str] = RISK_LEVELS) -> np.ndarray:
    """Counts of (gold level, predicted level): rows gold, columns predicted."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold levels but {len(predicted)} predicted")
    index = {level: i for i, level in enumerate(levels)}
    matrix = np.zeros((len(levels), len(levels)), dtype=int)
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g], index[p]] += 1
    return matrix


@dataclass(frozen=True)
class HighRecall:
    """Of the texts whose gold risk is high: how many the detector flagged (rated medium
    or high) and how many it rated high."""

    gold_high: int = 0
    flagged: int = 0
    rated_high: int = 0

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.gold_high if self.gold_high else None

    @property
    def rated_high_share(self) -> float | None:
        return self.rated_high / self.gold_high if self.gold_high else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"gold_high": self.gold_high, "flagged": self.flagged,
                "rated_high": self.rated_high, "flagged_share": _round(self.flagged_share),
                "rated_high_share": _round(self.rated_high_share)}


def high_recall(gold: Sequence[str], predicted: Sequence[str]) -> HighRecall:
    """How the gold-high texts among `gold` risk levels were rated in `predicted`."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold levels but {len(predicted)} predicted")
    rated = [p for g, p in zip(gold, predicted, strict=True) if g == "high"]
    return HighRecall(gold_high=len(rated), flagged=sum(p != "low" for p in rated),
                      rated_high=sum(p == "high" for p in rated))


# --- ranking ---------------------------------------------------------------------------

def _tie_groups(relevant: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sizes and relevant counts of the groups of equal score, highest score first."""
    relevant = np.asarray(relevant, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    if relevant.shape != scores.shape or relevant.ndim != 1:
        raise ValueError(f"relevance and scores differ in shape: {relevant.shape} vs "
                         f"{scores.shape}")
    values, inverse = np.unique(-scores, return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(values))
    hits = np.bincount(inverse, weights=relevant.astype(float), minlength=len(values))
    return sizes, hits


def average_precision(relevant: np.ndarray, scores: np.ndarray) -> float | None:
    """Mean precision over the recall steps of the ranking by `scores` (highest first);
    None when nothing is relevant."""
    sizes, hits = _tie_groups(relevant, scores)
    positives = hits.sum()
    if positives == 0:
        return None
    precision = np.cumsum(hits) / np.cumsum(sizes)
    return float(np.sum(hits / positives * precision))


def precision_at_k_curve(relevant: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Expected precision of the top k ads for k = 1..n (ties broken at random)."""
    sizes, hits = _tie_groups(relevant, scores)
    group = np.repeat(np.arange(len(sizes)), sizes)  # the tie group of each rank
    starts = np.cumsum(sizes) - sizes
    hits_before = np.cumsum(hits) - hits
    k = np.arange(1, len(group) + 1)
    found = hits_before[group] + (k - starts[group]) * hits[group] / sizes[group]
    return found / k


def precision_at_k(relevant: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """Expected precision of the top `k` ads; None when there are fewer than k ads."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    curve = precision_at_k_curve(relevant, scores)
    return float(curve[k - 1]) if k <= len(curve) else None


def k_for_share(n: int, share: float) -> int:
    """How many ads are the top `share` of `n` (at least one)."""
    return max(1, math.ceil(n * share - 1e-9))


# --- calibration -----------------------------------------------------------------------

@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a reliability diagram."""

    lower: float
    upper: float
    count: int
    mean_probability: float | None
    positive_rate: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"lower": _round(self.lower), "upper": _round(self.upper), "count": self.count,
                "mean_probability": _round(self.mean_probability),
                "positive_rate": _round(self.positive_rate)}


def reliability_bins(y_true: np.ndarray, probabilities: np.ndarray,
                     n_bins: int = 10) -> list[CalibrationBin]:
    """Equal-width bins of predicted probability with the observed positive rate in each."""
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(probabilities, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{y.size} labels but {p.size} probabilities")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    index = np.minimum((p * n_bins).astype(int), n_bins - 1)
    bins = []
    for b in range(n_bins):
        mask = index == b
        count = int(mask.sum())
        bins.append(CalibrationBin(
            lower=b / n_bins, upper=(b + 1) / n_bins, count=count,
            mean_probability=float(p[mask].mean()) if count else None,
            positive_rate=float(y[mask].mean()) if count else None))
    return bins


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float | None:
    """Sum over bins of (share of predictions) x |positive rate - mean probability|."""
    total = sum(b.count for b in bins)
    if not total:
        return None
    return float(sum(b.count / total * abs(b.positive_rate - b.mean_probability)
                     for b in bins if b.count))


# --- assessments as matrices -----------------------------------------------------------

def predicted_matrix(assessments: Sequence[Assessment], ids: Sequence[str]) -> np.ndarray:
    """Which indicators each assessment found, as a boolean (ads, indicators) matrix."""
    return label_matrix([[hit.id for hit in a.hits] for a in assessments], ids)


def hit_probabilities(assessments: Sequence[Assessment], ids: Sequence[str]) -> np.ndarray:
    """Per ad and indicator: the hit's score when the indicator was found, else 0."""
    column = {indicator: j for j, indicator in enumerate(ids)}
    matrix = np.zeros((len(assessments), len(ids)))
    for i, assessment in enumerate(assessments):
        for hit in assessment.hits:
            matrix[i, column[hit.id]] = max(matrix[i, column[hit.id]], hit.score)
    return matrix


# --- evidence spans --------------------------------------------------------------------

@dataclass(frozen=True)
class SpanOverlap:
    """Character overlap of predicted and gold evidence on true-positive (ad, indicator)
    pairs, and how many predicted spans touch a gold span."""

    pairs: int = 0
    gold_chars: int = 0
    predicted_chars: int = 0
    overlap_chars: int = 0
    predicted_spans: int = 0
    overlapping_spans: int = 0

    def __add__(self, other: SpanOverlap) -> SpanOverlap:
        return SpanOverlap(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (self.pairs, self.gold_chars, self.predicted_chars, self.overlap_chars,
                self.predicted_spans, self.overlapping_spans)

    @property
    def char_precision(self) -> float | None:
        return self.overlap_chars / self.predicted_chars if self.predicted_chars else None

    @property
    def char_recall(self) -> float | None:
        return self.overlap_chars / self.gold_chars if self.gold_chars else None

    @property
    def char_f1(self) -> float | None:
        denominator = self.gold_chars + self.predicted_chars
        return 2 * self.overlap_chars / denominator if denominator else None

    @property
    def share_overlapping(self) -> float | None:
        """Share of predicted spans that overlap at least one gold span."""
        return self.overlapping_spans / self.predicted_spans if self.predicted_spans else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"pairs": self.pairs, "char_precision": _round(self.char_precision),
                "char_recall": _round(self.char_recall), "char_f1": _round(self.char_f1),
                "predicted_spans": self.predicted_spans,
                "overlapping_spans": self.overlapping_spans,
                "share_overlapping": _round(self.share_overlapping)}


def _chars(spans: Iterable[Span]) -> set[int]:
    return {i for start, end in spans for i in range(start, end)}


def compare_spans(gold: Sequence[Span], predicted: Sequence[Span]) -> SpanOverlap:
    """The overlap of one true-positive pair: gold and predicted (start, end) spans."""
    gold_chars, predicted_chars = _chars(gold), _chars(predicted)
    overlapping = sum(1 for s, e in predicted if any(s < ge and gs < e for gs, ge in gold))
    return SpanOverlap(pairs=1, gold_chars=len(gold_chars), predicted_chars=len(predicted_chars),
                       overlap_chars=len(gold_chars & predicted_chars),
                       predicted_spans=len(predicted), overlapping_spans=overlapping)


def micro_overlap(overlaps: Iterable[SpanOverlap]) -> SpanOverlap:
    """The summed overlap of several indicators (character counts pooled)."""
    return sum(overlaps, SpanOverlap())


def evidence_overlap(gold_ads: Sequence[LabelledAd], assessments: Sequence[Assessment],
                     ids: Sequence[str]) -> dict[str, SpanOverlap]:
    """Span overlap per indicator over the ads where it is both gold and predicted.

    Gold and predicted offsets must point into the same text (the gold `text`).
    """
    result = {indicator: SpanOverlap() for indicator in ids}
    for ad, assessment in zip(gold_ads, assessments, strict=True):
        for hit in assessment.hits:
            if hit.id in ad.indicators:
                result[hit.id] += compare_spans(_offsets(ad.evidence.get(hit.id, [])),
                                                _offsets(hit.evidence))
    return result


def evidence_overlap_by_source(gold_ads: Sequence[LabelledAd],
                               assessments: Sequence[Assessment]) -> dict[str, dict]:
    """Per hit source (`IndicatorHit.detector`: a rule-backed hit, a trained model's
    alone), the pooled span overlap on true-positive hits, how many hits it made and how
    many of them had no phrase at all."""
    overlap: dict[str, SpanOverlap] = {}
    made: dict[str, list[int]] = {}
    for ad, assessment in zip(gold_ads, assessments, strict=True):
        for hit in assessment.hits:
            counts = made.setdefault(hit.detector, [0, 0])
            counts[0] += 1
            counts[1] += not hit.evidence
            if hit.id in ad.indicators and hit.evidence:
                overlap[hit.detector] = overlap.get(hit.detector, SpanOverlap()) + \
                    compare_spans(_offsets(ad.evidence.get(hit.id, [])), _offsets(hit.evidence))
    return {source: {"hits": n, "no_phrase": none,
                     **overlap.get(source, SpanOverlap()).to_dict()}
            for source, (n, none) in sorted(made.items())}


def _offsets(evidence: Sequence[Evidence]) -> list[Span]:
    return [(ev.start, ev.end) for ev in evidence]


# --- ordinary ads ----------------------------------------------------------------------

@dataclass(frozen=True)
class RiskRates:
    """How many ads got each risk level."""

    high: int = 0
    medium: int = 0
    low: int = 0

    def __add__(self, other: RiskRates) -> RiskRates:
        return RiskRates(self.high + other.high, self.medium + other.medium,
                         self.low + other.low)

    @property
    def ads(self) -> int:
        return self.high + self.medium + self.low

    @property
    def high_rate(self) -> float | None:
        return self.high / self.ads if self.ads else None

    @property
    def high_or_medium_rate(self) -> float | None:
        return (self.high + self.medium) / self.ads if self.ads else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"ads": self.ads, "high": self.high, "medium": self.medium, "low": self.low,
                "high_rate": _round(self.high_rate),
                "high_or_medium_rate": _round(self.high_or_medium_rate)}


def count_risks(risks: Iterable[str]) -> RiskRates:
    """Counts of `high`, `medium` and `low` among risk levels."""
    counts = dict.fromkeys(RISK_LEVELS, 0)
    for risk in risks:
        counts[risk] += 1
    return RiskRates(high=counts["high"], medium=counts["medium"], low=counts["low"])


def indicator_rates(assessments: Sequence[Assessment], ids: Sequence[str]) -> dict[str, float]:
    """Share of ads on which each indicator was found."""
    if not assessments:
        return dict.fromkeys(ids, 0.0)
    shares = predicted_matrix(assessments, ids).mean(axis=0)
    return {indicator: float(share) for indicator, share in zip(ids, shares, strict=True)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def round_mapping(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """The same mapping with values rounded for a report."""
    return {key: _round(value) for key, value in values.items()}
