"""Where the ensemble's indicator thresholds are chosen: out-of-fold train (unseen writers)
and dev together (models/thresholds.py `unseen_writer_thresholds`), and the cross-writer
study that chose it (evaluation/threshold_choice.py)."""

from __future__ import annotations

import numpy as np

from evaluation.threshold_choice import cross_writer_scores, policy_thresholds
from models.thresholds import unseen_writer_thresholds


def _inflated(n_batches: int = 20, per_batch: int = 10, seed: int = 3):
    """Two indicators. Out of fold (writers unseen) positives score about 0.5 and negatives
    0.2; on dev (writers seen) a model is surer of both: 0.85 and 0.35."""
    rng = np.random.default_rng(seed)
    n = n_batches * per_batch
    Y_train = (rng.random((n, 2)) < 0.4).astype(int)
    E_train = np.where(Y_train == 1, 0.5, 0.2) + rng.normal(0, 0.03, (n, 2))
    Y_dev = (rng.random((60, 2)) < 0.4).astype(int)
    E_dev = np.where(Y_dev == 1, 0.85, 0.35) + rng.normal(0, 0.03, (60, 2))
    batches = np.repeat([f"b{k}" for k in range(n_batches)], per_batch)
    return E_train, Y_train, E_dev, Y_dev, batches


def test_dev_alone_puts_the_threshold_above_unseen_writers_positives() -> None:
    E_train, Y_train, E_dev, Y_dev, _ = _inflated()
    on_dev = policy_thresholds("dev", E_train, Y_train, E_dev, Y_dev)
    pooled = unseen_writer_thresholds(E_train, Y_train, E_dev, Y_dev)
    assert (on_dev > 0.6).all()  # between dev's classes, above every unseen-writer positive
    # between the out-of-fold classes, which outnumber dev's
    assert all(0.3 < t <= 0.45 for t in pooled)
    assert pooled == policy_thresholds("both", E_train, Y_train, E_dev, Y_dev).tolist()


def test_the_study_scores_each_policy_on_writers_its_thresholds_never_saw() -> None:
    E_train, Y_train, E_dev, Y_dev, batches = _inflated()
    arrays = {"E_train": E_train, "F_train": E_train, "E_dev": E_dev, "F_dev": E_dev,
              "Y_train": Y_train, "Y_dev": Y_dev, "R_train": np.zeros(Y_train.shape, bool)}
    scores = cross_writer_scores(arrays, batches, halvings=4)
    assert set(scores) == {"dev", "out-of-fold train", "both"}
    assert scores["dev"][:, 2].max() < 0.05  # dev's thresholds miss held-out positives
    assert scores["both"][:, 0].min() > 0.95 and scores["out-of-fold train"][:, 2].min() > 0.95
