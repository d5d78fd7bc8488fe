"""Choosing decision thresholds on held-out data (shared by every trained detector)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THRESHOLD_GRID = tuple(round(float(t), 3) for t in np.arange(0.05, 0.96, 0.025))


def f1_at(probs: np.ndarray, y: np.ndarray, threshold: float) -> float:
    """F1 of `probs >= threshold` against 0/1 `y` (pooled over all cells: micro F1)."""
    predicted = probs >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    denominator = float(np.sum(predicted)) + float(np.sum(y == 1))
    return 2 * tp / denominator if denominator else 0.0


def choose_thresholds(probs: np.ndarray, y: np.ndarray, grid: Sequence[float] = THRESHOLD_GRID,
                      min_support: int = 3) -> tuple[list[float], list[float]]:
    """Per label, the grid threshold with the best dev F1 (the highest among ties, i.e.
    fewer alarms), and that F1. A label with fewer than `min_support` dev positives keeps
    0.5: one or two examples would only tune the threshold to themselves."""
    thresholds, scores = [], []
    for k in range(y.shape[1]):
        best_t, best_f1 = 0.5, 0.0
        if y[:, k].sum() >= min_support:
            for t in grid:
                f1 = f1_at(probs[:, k], y[:, k], t)
                if f1 >= best_f1 and f1 > 0:
                    best_t, best_f1 = float(t), f1
        else:
            best_f1 = f1_at(probs[:, k], y[:, k], best_t)
        thresholds.append(best_t)
        scores.append(round(best_f1, 4))
    return thresholds, scores


def unseen_writer_thresholds(P_oof: np.ndarray, Y_train: np.ndarray, P_dev: np.ndarray,
                             Y_dev: np.ndarray) -> list[float]:
    """Per label, `choose_thresholds` on train's out-of-fold probabilities (each from a
    model fitted without the ad's writer: `models.folds.writer_folds`) and dev's together.

    Dev alone shares its writers with train, so a model's probabilities there are those of
    writers it has read, higher than on ads it meets in use; a threshold chosen on dev
    alone sits too high for the others. Chosen on cross-writer validation
    (`python -m evaluation.threshold_choice --home CENTINELA_HOME`)."""
    return choose_thresholds(np.vstack([P_oof, P_dev]), np.vstack([Y_train, Y_dev]))[0]


def precision_threshold(y_true: np.ndarray, scores: np.ndarray, min_precision: float) -> float:
    """The lowest threshold whose alarms (`scores >= t`) reach `min_precision` (the one
    with the most recall among those); 1.0 when none does."""
    for t in np.round(np.arange(0.05, 1.0, 0.01), 3):
        predicted = scores >= t
        if predicted.sum() and (y_true[predicted] == 1).mean() >= min_precision:
            return float(t)
    return 1.0
