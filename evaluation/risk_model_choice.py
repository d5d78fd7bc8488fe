"""Choose what the ensemble's learned risk model reads, on cross-style validation.

Candidates: the indicator probabilities alone (the risk model before 2026-12-05), with
the risk guideline's story features, with the probability that the ad is deceptive, and
with both (models/risk.py `risk_features`), each for several C. Everything comes from one
training of the ensemble on the train split (probabilities out of fold, as in training).
Each writer's batch in turn is held out: the risk model is refitted on the train ads of
the *other* batches, its `high` and `medium` thresholds chosen on their dev ads (as in
training), and the held-out batch's dev ads are scored. The report gives, over those
held-out scores, AP(high) pooled and on wave 6 (one-sentence fragments), the lowest AP of
a batch, and the F1 of `high` and of flagged (medium or high). The test split is never
looked at. Run: `python -m evaluation.risk_model_choice` (a few minutes).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from corpora.corpus import batch_of
from corpora.records import LabelledAd
from evaluation import metrics as m
from models.risk import PROBABILITIES, STORY_AND_DECEPTIVE, risk_features, risk_score
from models.thresholds import choose_thresholds, precision_threshold

C_GRID = (1.0, 3.0)
FRAGMENT_BATCHES = ("es-11", "es-12", "es-13", "pt-12", "pt-13")  # wave 6


@dataclass(frozen=True)
class Inputs:
    """Risk-model inputs on the train split (out of fold) and on dev."""

    train: np.ndarray
    dev: np.ndarray


def candidate_inputs(E_train: np.ndarray, E_dev: np.ndarray, deceptive_train: np.ndarray,
                     deceptive_dev: np.ndarray, strengths: Sequence[str]) -> dict[str, Inputs]:
    """The candidates' inputs, from the ensemble's probabilities (the full set's columns:
    E, four story columns, deceptive)."""
    full = Inputs(risk_features(E_train, strengths, STORY_AND_DECEPTIVE, deceptive_train),
                  risk_features(E_dev, strengths, STORY_AND_DECEPTIVE, deceptive_dev))
    n = E_train.shape[1]
    columns = {PROBABILITIES: slice(0, n), "+story": slice(0, n + 4),
               "+deceptive": np.r_[0:n, n + 4], STORY_AND_DECEPTIVE: slice(None)}
    return {name: Inputs(full.train[:, c], full.dev[:, c]) for name, c in columns.items()}


def _f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    return m.count_labels(gold[:, None], predicted[:, None])[0].f1 or 0.0


def held_out_scores(inputs: Inputs, train: Sequence[LabelledAd], dev: Sequence[LabelledAd],
                    C: float, fit: Callable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per dev ad, the severity, `high` and flagged of a risk model fitted (`fit(X, y, C)`)
    without its batch, at thresholds chosen on the other batches' dev ads."""
    train_batches = np.array([batch_of(a.id) for a in train])
    dev_batches = np.array([batch_of(a.id) for a in dev])
    gold_train = np.array([a.risk for a in train])
    gold = np.array([a.risk for a in dev])
    is_high, flagged = gold == "high", gold != "low"
    severity = np.zeros(len(dev))
    high, medium = np.zeros(len(dev), bool), np.zeros(len(dev), bool)
    for batch in sorted(set(dev_batches.tolist())):
        held = dev_batches == batch
        model = fit(inputs.train[train_batches != batch], gold_train[train_batches != batch], C)
        score = risk_score(model.predict_proba(inputs.dev), list(model.classes_))
        t_high = precision_threshold(is_high[~held].astype(int), score[~held], 0.9)
        t_medium = min(choose_thresholds(score[~held][:, None],
                                         flagged[~held].astype(int)[:, None])[0][0], t_high)
        severity[held] = score[held]
        high[held], medium[held] = score[held] >= t_high, score[held] >= t_medium
    return severity, high, medium


def summary(severity: np.ndarray, high: np.ndarray, flagged: np.ndarray,
            dev: Sequence[LabelledAd]) -> dict[str, float]:
    gold = np.array([a.risk for a in dev])
    batches = np.array([batch_of(a.id) for a in dev])
    is_high = gold == "high"
    fragments = np.isin(batches, FRAGMENT_BATCHES)
    per_batch = [m.average_precision(is_high[batches == b], severity[batches == b])
                 for b in sorted(set(batches.tolist()))
                 if 0 < is_high[batches == b].sum() < (batches == b).sum()]
    return {"AP(high)": m.average_precision(is_high, severity),
            "AP(high) wave 6": m.average_precision(is_high[fragments], severity[fragments]),
            "lowest batch AP(high)": min(per_batch),
            "high F1": _f1(high, is_high), "high F1 wave 6": _f1(high[fragments],
                                                               is_high[fragments]),
            "flagged F1": _f1(flagged, gold != "low")}


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(X, y)


def main() -> None:
    from corpora.corpus import load_corpus, read_splits
    from corpora.taxonomy import load_taxonomy
    from models.ensemble.store import TRAINING_RULES_VERSION
    from models.ensemble.train import train_ensemble
    from models.registry import load_detector

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    corpus, splits = load_corpus(), read_splits().ids
    ads = {ad.id: ad for ad in corpus.ads}
    train, dev = [ads[i] for i in splits["train"]], [ads[i] for i in splits["dev"]]
    taxonomy = load_taxonomy()
    result = train_ensemble(train, dev, taxonomy.ids,
                            load_detector(f"indicators.rules.v{TRAINING_RULES_VERSION}"),
                            report=print)
    candidates = candidate_inputs(result.E_train_oof, result.E_dev,
                                  result.deceptive_train_oof, result.deceptive_dev,
                                  taxonomy.strengths(taxonomy.ids))
    print("dev split, the risk model refitted without one writer's batch at a time")
    for name, inputs in candidates.items():
        for C in C_GRID:
            row = summary(*held_out_scores(inputs, train, dev, C, fit_logistic), dev)
            print(f"  {name:32s} C={C:<3g} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))


if __name__ == "__main__":
    main()
