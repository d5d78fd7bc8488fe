"""Inter-annotator agreement: Krippendorff's alpha per indicator and for risk, and
character-level overlap of evidence spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpora.records import RISK_LEVELS, LabelledAd


@dataclass(frozen=True)
class IndicatorAgreement:
    indicator: str
    alpha: float | None  # None when the indicator never varies in the sample
    positives_a: int
    positives_b: int
    both: int
    span_f1: float | None  # character overlap on ads both marked; None if none


@dataclass(frozen=True)
class AgreementReport:
    ads: int
    indicators: list[IndicatorAgreement]
    risk_alpha: float
    kind_alpha: float


def _alpha(a: Sequence[int], b: Sequence[int], level: str) -> float | None:
    import krippendorff

    data = np.array([a, b], dtype=float)
    if len(np.unique(data)) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def _chars(ad: LabelledAd, indicator: str) -> set[int]:
    return {i for ev in ad.evidence.get(indicator, []) for i in range(ev.start, ev.end)}


def compare_annotations(first: Sequence[LabelledAd], second: Sequence[LabelledAd],
                        indicators: Sequence[str]) -> AgreementReport:
    """Agreement between two labellings of the same ads (matched by id; the texts must be
    identical, or span overlap would be meaningless)."""
    by_id = {ad.id: ad for ad in first}
    pairs = []
    for ad in second:
        if ad.id not in by_id:
            raise ValueError(f"ad {ad.id} of the second annotation is not in the first")
        if by_id[ad.id].text != ad.text:
            raise ValueError(f"ad {ad.id}: the two annotations have different texts")
        pairs.append((by_id[ad.id], ad))
    rows = []
    for indicator in indicators:
        a = [int(indicator in x.indicators) for x, _ in pairs]
        b = [int(indicator in y.indicators) for _, y in pairs]
        overlaps = []
        for x, y in pairs:
            if indicator in x.indicators and indicator in y.indicators:
                cx, cy = _chars(x, indicator), _chars(y, indicator)
                overlaps.append(2 * len(cx & cy) / (len(cx) + len(cy)) if cx or cy else 1.0)
        rows.append(IndicatorAgreement(
            indicator=indicator, alpha=_alpha(a, b, "nominal"), positives_a=sum(a),
            positives_b=sum(b), both=len(overlaps),
            span_f1=float(np.mean(overlaps)) if overlaps else None,
        ))
    risk = {level: n for n, level in enumerate(RISK_LEVELS)}
    kinds = {"legit": 0, "hard_negative": 1, "deceptive": 2}
    return AgreementReport(
        ads=len(pairs), indicators=rows,
        risk_alpha=_alpha([risk[x.risk] for x, _ in pairs], [risk[y.risk] for _, y in pairs],
                          "ordinal") or 0.0,
        kind_alpha=_alpha([kinds[x.kind] for x, _ in pairs], [kinds[y.kind] for _, y in pairs],
                          "nominal") or 0.0,
    )
