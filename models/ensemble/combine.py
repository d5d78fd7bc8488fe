"""How rule hits and model probabilities become indicator probabilities, then risk."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpora.records import IndicatorHit, Risk


def rule_matrix(hits_per_ad: Sequence[Sequence[IndicatorHit]], labels: Sequence[str]) -> np.ndarray:
    """(n_ads, n_labels) rule hit scores, 0 where a rule did not fire."""
    index = {label: k for k, label in enumerate(labels)}
    out = np.zeros((len(hits_per_ad), len(labels)))
    for i, hits in enumerate(hits_per_ad):
        for hit in hits:
            out[i, index[hit.id]] = hit.score
    return out


def combine_probabilities(rules: np.ndarray, model: np.ndarray, rule_weights: np.ndarray
                          ) -> np.ndarray:
    """Noisy-or of a rule hit (trusted as much as the rule's measured precision) and the
    model's probability, per ad and indicator."""
    return 1.0 - (1.0 - rules * rule_weights[None, :]) * (1.0 - model)


def risk_score(risk_proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Expected severity in [0, 1]: P(high) + 0.5 P(medium)."""
    columns = list(classes)
    return risk_proba[:, columns.index("high")] + 0.5 * risk_proba[:, columns.index("medium")]


def risk_level(score: float, hits: Sequence[IndicatorHit], high: float, medium: float) -> Risk:
    """The risk level of an ad: no indicator is always low, and `high` needs an indicator
    stronger than weak (one or more weak hits alone are at most medium)."""
    if not hits:
        return "low"
    if score >= high and any(h.strength != "weak" for h in hits):
        return "high"
    if score >= medium:
        return "medium"
    return "low"


def best_f1_threshold(y_true: np.ndarray, scores: np.ndarray,
                      grid: np.ndarray | None = None) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of `scores >= threshold`; ties go to the higher
    threshold (fewer alarms)."""
    grid = np.round(np.arange(0.05, 0.96, 0.025), 3) if grid is None else grid
    best = (0.5, -1.0)
    for t in grid:
        pred = scores >= t
        tp = float(np.sum(pred & (y_true == 1)))
        fp = float(np.sum(pred & (y_true == 0)))
        fn = float(np.sum(~pred & (y_true == 1)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best[1]:
            best = (float(t), f1)
    return best


def precision_threshold(y_true: np.ndarray, scores: np.ndarray, min_precision: float
                        ) -> float:
    """The lowest threshold whose alarms (`scores >= t`) reach `min_precision`, with the
    most recall among those; 1.0 when none does."""
    for t in np.round(np.arange(0.05, 1.0, 0.01), 3):
        pred = scores >= t
        if pred.sum() and (y_true[pred] == 1).mean() >= min_precision:
            return float(t)
    return 1.0
