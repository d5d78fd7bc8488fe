"""The custom estimator follows scikit-learn's contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from models.tfidf.estimator import MultiLabelLinearClassifier


def _expected_failures(estimator):
    if estimator.calibration:
        # Calibration refits a sigmoid on held-out folds, which undoes the shift that
        # check_class_weight_classifiers looks for on its tiny synthetic problem.
        return {"check_class_weight_classifiers": "calibration rescales class weights"}
    return {}


@parametrize_with_checks([MultiLabelLinearClassifier(), MultiLabelLinearClassifier(calibration=None)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_multilabel_probabilities_and_coefficients():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    Y = np.column_stack([(X[:, 0] > 0), (X[:, 1] > 0.5), np.zeros(120)]).astype(int)
    model = MultiLabelLinearClassifier().fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == (120, 3)
    assert np.all(proba[:, 2] == 0.0)  # a label never seen stays at its prior
    assert model.coef_.shape == (3, 5) and model.coef_[0, 0] > 0 and model.coef_[1, 1] > 0
    assert ((proba[:, 0] > 0.5) == Y[:, 0].astype(bool)).mean() > 0.9


def test_rejects_a_non_binary_indicator_matrix():
    with pytest.raises(ValueError, match="0/1"):
        MultiLabelLinearClassifier().fit(np.eye(4), np.array([[0, 2], [1, 0], [0, 1], [1, 1]]))
