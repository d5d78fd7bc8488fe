"""The ensemble's combiner of TF-IDF probabilities, rule hits and vocabulary-only hits
(models/ensemble/combine.py, fit in models/ensemble/train.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from corpora.records import IndicatorHit
from models.ensemble.combine import combine_probabilities, rule_features, stack_features
from models.ensemble.train import COMBINER_C, fit_combiner

LABELS = ["TRAVEL_PAID", "ABROAD_VAGUE", "HOUSING_CONTROL"]


def _hit(indicator: str) -> IndicatorHit:
    return IndicatorHit(id=indicator, score=0.9, strength="medium", evidence=[],
                        detector="indicators.rules.v2")


def test_rule_features_put_vocabulary_only_hits_in_their_own_columns() -> None:
    hits = [[_hit("TRAVEL_PAID"), _hit("HOUSING_CONTROL")], [], [_hit("ABROAD_VAGUE")]]
    only = [frozenset({"HOUSING_CONTROL"}), frozenset(), frozenset({"ABROAD_VAGUE"})]
    R = rule_features(hits, only, LABELS)
    #               base patterns  |  vocabulary only
    assert R.tolist() == [[1, 0, 0, 0, 0, 1],
                          [0, 0, 0, 0, 0, 0],
                          [0, 0, 0, 0, 1, 0]]


def _data(seed: int = 3, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, len(LABELS))) < 0.3).astype(int)
    P = np.clip(0.6 * Y + 0.4 * rng.random(Y.shape), 0.001, 0.999)
    base = (Y == 1) & (rng.random(Y.shape) < 0.5)
    vocabulary = ~base & (rng.random(Y.shape) < np.where(Y == 1, 0.4, 0.05))
    return P, np.hstack([base, vocabulary]).astype(float), Y


def test_combined_probabilities_are_each_indicators_logistic_regression() -> None:
    P, R, Y = _data()
    coef, intercept = fit_combiner(P, R, Y)
    E = combine_probabilities(P, R, coef, intercept)
    for k in range(len(LABELS)):
        expected = LogisticRegression(C=COMBINER_C, max_iter=2000).fit(
            stack_features(P, R, k), Y[:, k])
        assert E[:, k] == pytest.approx(expected.predict_proba(stack_features(P, R, k))[:, 1])


def test_a_rule_hit_raises_and_a_never_seen_indicator_keeps_its_prior() -> None:
    P, R, Y = _data()
    Y[:, 2] = 0  # HOUSING_CONTROL never in training
    coef, intercept = fit_combiner(P, R, Y)
    row_p = np.full((1, len(LABELS)), 0.2)
    quiet = combine_probabilities(row_p, np.zeros((1, 6)), coef, intercept)
    base_hit = combine_probabilities(row_p, np.array([[1.0, 0, 0, 0, 0, 0]]), coef, intercept)
    vocabulary_hit = combine_probabilities(row_p, np.array([[0, 0, 0, 1.0, 0, 0]]), coef,
                                           intercept)
    assert base_hit[0, 0] > vocabulary_hit[0, 0] > quiet[0, 0]
    assert quiet[0, 2] < 1e-4 and base_hit[0, 2] < 1e-4


def test_the_choice_sets_each_batchs_thresholds_on_the_other_batches() -> None:
    from evaluation.combiner_choice import cell_scores, held_out_predictions

    # One indicator. Batches a and b put the cut between 0.45 and 0.6; c's positive sits
    # at 0.3, below the negatives of a and b.
    E = np.array([[0.6], [0.4], [0.65], [0.35], [0.7], [0.45], [0.62], [0.38], [0.3], [0.2]])
    Y = np.array([[1], [0], [1], [0], [1], [0], [1], [0], [1], [0]])
    groups = ["a"] * 4 + ["b"] * 4 + ["c"] * 2
    predicted = held_out_predictions(E, Y, groups)
    # c is held out with a and b's threshold (0.6), and its positive is missed
    assert predicted[:, 0].tolist() == [True, False, True, False, True, False, True, False,
                                        False, False]
    scores = cell_scores(Y.astype(bool), predicted, ["w1-es"] * 8 + ["w2-pt"] * 2)
    assert scores["w1-es"] == 1.0 and scores["w2-pt"] == 0.0
    assert scores["all"] == scores["lowest indicator"] == pytest.approx(8 / 9)
