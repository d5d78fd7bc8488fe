"""How rule hits and model probabilities become indicator probabilities (risk from them:
models/risk.py `LearnedScorer`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpora.records import IndicatorHit


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
