"""Agreement between trainers, and of each trainer with the adjudicated labels.

- **Krippendorff's alpha** per indicator (nominal: marked or not) and for risk (ordinal:
  low < medium < high), over any number of trainers. A trainer who did not label an ad
  leaves a gap, which alpha allows for; an ad labelled by one trainer only has no pair and
  does not count (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
- **Span F1** between two trainers on the ads both labelled, over (ad, indicator, start,
  end) spans: `exact` counts a span as matched when the other trainer marked the very same
  characters for the same indicator; `overlap` when the other marked any overlapping span
  for the same indicator. Precision is the share of the second trainer's spans matched by
  the first's, recall the reverse, F1 their harmonic mean (so the pair's order does not
  change it).
- **Confusion against adjudicated labels**: per trainer and indicator, true and false
  positives and negatives, and a risk confusion matrix (rows adjudicated, columns trainer).

Labels are anything with `indicators`, `evidence` and `risk` (an `Annotation`, a
`LabelledAd`), keyed by trainer and then by ad id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal, Protocol

import numpy as np

from corpora.records import RISK_LEVELS, Annotation, Evidence, LabelledAd

Level = Literal["nominal", "ordinal"]
SpanKey = tuple[str, str, int, int]  # ad id, indicator, start, end


class Labels(Protocol):
    @property
    def indicators(self) -> list[str]: ...

    @property
    def evidence(self) -> dict[str, list[Evidence]]: ...

    @property
    def risk(self) -> str: ...


LabelSets = Mapping[str, Mapping[str, Labels]]  # trainer -> ad id -> labels


def krippendorff_alpha(values: Sequence[Sequence[float | None]], level: Level,
                       domain: Sequence[float] | None = None) -> float | None:
    """Alpha of a trainers x ads matrix, None where a trainer gave no value.

    None when alpha is undefined: fewer than two values on any one ad, or one single value
    everywhere (nothing to agree or disagree on).
    """
    import krippendorff

    data = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        return None
    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    present = data[:, pairable]
    if present.size == 0 or len(np.unique(present[~np.isnan(present)])) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                    value_domain=domain))


def latest_labels(annotations: Iterable[Annotation]) -> dict[str, dict[str, Annotation]]:
    """Each trainer's latest annotation per ad (annotations are appended, never edited)."""
    latest: dict[str, dict[str, Annotation]] = {}
    for annotation in sorted(annotations, key=lambda a: a.created_at):
        latest.setdefault(annotation.annotator, {})[annotation.ad_id] = annotation
    return latest


# --- spans -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SpanAgreement:
    """Span counts of one trainer pair (or summed over pairs): `spans_a`, `spans_b`, how
    many are identical in both, and how many of each overlap one of the other's."""

    spans_a: int = 0
    spans_b: int = 0
    exact: int = 0
    overlapping_a: int = 0
    overlapping_b: int = 0

    def __add__(self, other: SpanAgreement) -> SpanAgreement:
        return SpanAgreement(self.spans_a + other.spans_a, self.spans_b + other.spans_b,
                             self.exact + other.exact, self.overlapping_a + other.overlapping_a,
                             self.overlapping_b + other.overlapping_b)

    @property
    def exact_f1(self) -> float | None:
        total = self.spans_a + self.spans_b
        return 2 * self.exact / total if total else None

    @property
    def overlap_f1(self) -> float | None:
        if not self.spans_a or not self.spans_b:
            return None if not (self.spans_a or self.spans_b) else 0.0
        precision = self.overlapping_b / self.spans_b
        recall = self.overlapping_a / self.spans_a
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _spans(ad_id: str, labels: Labels, indicator: str) -> set[SpanKey]:
    return {(ad_id, indicator, ev.start, ev.end) for ev in labels.evidence.get(indicator, [])}


def _overlapping(spans: set[SpanKey], others: set[SpanKey]) -> int:
    return sum(1 for ad, ind, start, end in spans
               if any(ad == o_ad and ind == o_ind and start < o_end and o_start < end
                      for o_ad, o_ind, o_start, o_end in others))


def compare_spans(first: Mapping[str, Labels], second: Mapping[str, Labels],
                  indicator: str) -> SpanAgreement:
    """Span agreement of two trainers on one indicator, over the ads both labelled."""
    shared = sorted(set(first) & set(second))
    a = {s for ad in shared for s in _spans(ad, first[ad], indicator)}
    b = {s for ad in shared for s in _spans(ad, second[ad], indicator)}
    return SpanAgreement(len(a), len(b), len(a & b), _overlapping(a, b), _overlapping(b, a))


# --- agreement between trainers ----------------------------------------------------------

@dataclass(frozen=True)
class IndicatorAgreement:
    indicator: str
    alpha: float | None  # None when undefined (see krippendorff_alpha)
    positives: dict[str, int]  # per trainer, on the ads with two labels or more
    spans: SpanAgreement  # summed over trainer pairs


@dataclass(frozen=True)
class AgreementReport:
    """Agreement over the ads that two trainers or more labelled."""

    ads: int
    trainers: list[str]
    indicators: list[IndicatorAgreement]
    risk_alpha: float | None
    pairs: dict[tuple[str, str], SpanAgreement] = field(default_factory=dict)

    @property
    def spans(self) -> SpanAgreement:
        """Span counts summed over indicators and trainer pairs."""
        return sum((row.spans for row in self.indicators), SpanAgreement())


RISK_ORDER = {level: n for n, level in enumerate(RISK_LEVELS)}


def measure_agreement(labels: LabelSets, indicators: Sequence[str]) -> AgreementReport:
    """Alpha per indicator and for risk, and span agreement per pair of trainers."""
    trainers = sorted(labels)
    counted = sorted(ad for ad in {ad for t in trainers for ad in labels[t]}
                     if sum(ad in labels[t] for t in trainers) >= 2)
    shared = {t: {ad: labels[t][ad] for ad in counted if ad in labels[t]} for t in trainers}
    pairs = list(combinations(trainers, 2))
    rows = []
    for indicator in indicators:
        matrix = [[None if ad not in shared[t] else float(indicator in shared[t][ad].indicators)
                   for ad in counted] for t in trainers]
        rows.append(IndicatorAgreement(
            indicator=indicator, alpha=krippendorff_alpha(matrix, "nominal"),
            positives={t: sum(indicator in x.indicators for x in shared[t].values())
                       for t in trainers},
            spans=sum((compare_spans(shared[a], shared[b], indicator) for a, b in pairs),
                      SpanAgreement())))
    risks = [[None if ad not in shared[t] else float(RISK_ORDER[shared[t][ad].risk])
              for ad in counted] for t in trainers]
    by_pair = {(a, b): sum((compare_spans(shared[a], shared[b], ind) for ind in indicators),
                           SpanAgreement()) for a, b in pairs}
    return AgreementReport(
        ads=len(counted), trainers=trainers, indicators=rows,
        risk_alpha=krippendorff_alpha(risks, "ordinal", domain=list(RISK_ORDER.values())),
        pairs=by_pair)


# --- each trainer against the adjudicated labels -----------------------------------------

@dataclass(frozen=True)
class BinaryCounts:
    """A trainer's marks on one indicator against the adjudicated ones."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None


@dataclass(frozen=True)
class TrainerConfusion:
    """One trainer's labels against the adjudicated labels of the ads they labelled."""

    trainer: str
    ads: int
    indicators: dict[str, BinaryCounts]
    risk: dict[str, dict[str, int]]  # adjudicated risk -> trainer's risk -> ads

    @property
    def macro_f1(self) -> float | None:
        """Mean F1 over the indicators that either side marked at least once."""
        scores = [c.f1 for c in self.indicators.values() if c.f1 is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def risk_accuracy(self) -> float | None:
        agreed = sum(self.risk[level][level] for level in RISK_LEVELS)
        return agreed / self.ads if self.ads else None


def confusion_against(labels: LabelSets, adjudicated: Mapping[str, Labels],
                      indicators: Sequence[str]) -> list[TrainerConfusion]:
    """Per trainer (sorted by name), their labels against the adjudicated labels, over the
    ads that have both."""
    out = []
    for trainer in sorted(labels):
        ads = sorted(set(labels[trainer]) & set(adjudicated))
        counts = {}
        for indicator in indicators:
            cells = [(indicator in adjudicated[ad].indicators,
                      indicator in labels[trainer][ad].indicators) for ad in ads]
            counts[indicator] = BinaryCounts(
                tp=cells.count((True, True)), fp=cells.count((False, True)),
                fn=cells.count((True, False)), tn=cells.count((False, False)))
        risk = {gold: {given: 0 for given in RISK_LEVELS} for gold in RISK_LEVELS}
        for ad in ads:
            risk[adjudicated[ad].risk][labels[trainer][ad].risk] += 1
        out.append(TrainerConfusion(trainer, len(ads), counts, risk))
    return out


# --- the corpus agreement study (two labellings of the same corpus ads) -------------------

@dataclass(frozen=True)
class CorpusIndicatorAgreement:
    indicator: str
    alpha: float | None
    positives_a: int
    positives_b: int
    both: int
    span_f1: float | None  # mean character-overlap F1 on ads both marked; None if none


@dataclass(frozen=True)
class CorpusAgreementReport:
    ads: int
    indicators: list[CorpusIndicatorAgreement]
    risk_alpha: float | None
    kind_alpha: float | None
    spans: SpanAgreement


def _chars(ad: Labels, indicator: str) -> set[int]:
    return {i for ev in ad.evidence.get(indicator, []) for i in range(ev.start, ev.end)}


def compare_annotations(first: Sequence[LabelledAd], second: Sequence[LabelledAd],
                        indicators: Sequence[str]) -> CorpusAgreementReport:
    """Agreement between two labellings of the same corpus ads (matched by id; the texts
    must be identical, or span overlap would be meaningless)."""
    by_id = {ad.id: ad for ad in first}
    for ad in second:
        if ad.id not in by_id:
            raise ValueError(f"ad {ad.id} of the second annotation is not in the first")
        if by_id[ad.id].text != ad.text:
            raise ValueError(f"ad {ad.id}: the two annotations have different texts")
    a = {ad.id: by_id[ad.id] for ad in second}
    b = {ad.id: ad for ad in second}
    report = measure_agreement({"a": a, "b": b}, indicators)
    rows = []
    for row in report.indicators:
        both = [ad for ad in b if row.indicator in a[ad].indicators
                and row.indicator in b[ad].indicators]
        overlaps = []
        for ad in both:
            ca, cb = _chars(a[ad], row.indicator), _chars(b[ad], row.indicator)
            overlaps.append(2 * len(ca & cb) / (len(ca) + len(cb)) if ca or cb else 1.0)
        rows.append(CorpusIndicatorAgreement(
            indicator=row.indicator, alpha=row.alpha, positives_a=row.positives["a"],
            positives_b=row.positives["b"], both=len(both),
            span_f1=float(np.mean(overlaps)) if overlaps else None))
    kinds = {"legit": 0.0, "hard_negative": 1.0, "deceptive": 2.0}
    kind_alpha = krippendorff_alpha([[kinds[a[ad].kind] for ad in b],
                                     [kinds[b[ad].kind] for ad in b]], "nominal")
    return CorpusAgreementReport(ads=len(b), indicators=rows, risk_alpha=report.risk_alpha,
                                 kind_alpha=kind_alpha, spans=report.spans)
