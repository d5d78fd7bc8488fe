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


def rules_found(hits_per_ad: Sequence[Sequence[IndicatorHit]], labels: Sequence[str]
                ) -> np.ndarray:
    """(n_ads, n_labels) bool: which indicators a rule (base patterns or vocabulary) found."""
    return rule_matrix(hits_per_ad, labels) > 0


def rule_features(hits_per_ad: Sequence[Sequence[IndicatorHit]],
                  further_only: Sequence[frozenset[str]], labels: Sequence[str]) -> np.ndarray:
    """(n_ads, 2 n_labels) 0/1: per indicator, found by the base patterns, then found by
    the vocabulary of real offers only (`RulesDetector.detect_hits_by_file`)."""
    found = rules_found(hits_per_ad, labels)
    vocabulary = np.array([[label in only for label in labels] for only in further_only],
                          dtype=bool).reshape(found.shape)
    return np.hstack([found & ~vocabulary, vocabulary]).astype(float)


def stack_features(P: np.ndarray, R: np.ndarray, k: int) -> np.ndarray:
    """The features of indicator `k`'s combiner: the TF-IDF log-odds of `k`, its own two
    rule features, then every indicator's rule features (`rule_features`)."""
    n = P.shape[1]
    return np.column_stack([_logit(P[:, k]), R[:, k], R[:, n + k], R])


def combine_probabilities(P: np.ndarray, R: np.ndarray, coef: np.ndarray,
                          intercept: np.ndarray) -> np.ndarray:
    """Per ad and indicator, the combiner's probability (a logistic regression per
    indicator over `stack_features`; `coef` is (n_labels, 3 + 2 n_labels))."""
    n = P.shape[1]
    decision = (coef[:, 0] * _logit(P) + coef[:, 1] * R[:, :n] + coef[:, 2] * R[:, n:]
                + R @ coef[:, 3:].T + intercept)
    return 1.0 / (1.0 + np.exp(-decision))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1.0 - p))
