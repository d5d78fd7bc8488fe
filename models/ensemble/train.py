"""Fit the TF-IDF model and the ensemble on the train split; choose thresholds on held-out
probabilities (indicators: out-of-fold train and dev, risk: dev)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corpora.records import RISK_LEVELS, LabelledAd
from corpora.taxonomy import load_taxonomy
from models.artifacts import hash_training_data
from models.ensemble.combine import (
    combine_probabilities,
    rule_features,
    rules_found,
    stack_features,
)
from models.folds import writer_folds
from models.risk import DECEPTIVE_COLUMN, STORY_AND_DECEPTIVE, risk_features, risk_score
from models.thresholds import choose_thresholds, precision_threshold, unseen_writer_thresholds
from models.tfidf.model import TfidfIndicatorModel

if TYPE_CHECKING:
    from models.rules.detector import RulesDetector

HIGH_PRECISION_TARGET = 0.9
# Regularisation of the per-indicator combiner (fit_combiner), chosen on cross-style
# validation of the dev split (`python -m evaluation.combiner_choice`: per-indicator
# thresholds chosen on the other writers' batches, one batch held out at a time) for the
# best lowest wave x language macro-F1, waves 1-5: C = 3 0.755 (all dev 0.867), C = 1 0.740
# (0.865), C = 0.3 0.741 (0.868); the noisy-or of v1 rule hits and TF-IDF it replaced
# 0.746 (0.855). With fewer waves the order of the C values changed: the margins are a few
# ads per cell.
COMBINER_C = 3.0
# The risk model's inputs and regularisation, chosen on cross-style validation of the dev
# split (`python -m evaluation.risk_model_choice`: the risk model refitted without one
# writer's batch at a time, its thresholds chosen on the other batches' dev ads).
RISK_INPUTS = STORY_AND_DECEPTIVE
RISK_C = 3.0


@dataclass
class EnsembleModel:
    """Everything the ensemble detector needs besides the rules (saved as arrays,
    models/ensemble/weights.py)."""

    labels: list[str]
    tfidf: TfidfIndicatorModel
    # the combiner of TF-IDF and rule hits: a logistic regression per indicator over
    # `combine.stack_features` (rules_coef: (n_labels, 3 + 2 n_labels))
    rules_coef: np.ndarray
    rules_intercept: np.ndarray
    thresholds: np.ndarray
    tfidf_thresholds: np.ndarray
    risk_model: Any
    risk_high: float
    risk_medium: float
    rules_sha256: str
    rules_version: str = "1"  # the rules version it was trained with (and loads)
    # what the risk model reads (models/risk.py `risk_features`); with the deceptive
    # probability, the TF-IDF model has a DECEPTIVE_COLUMN after the indicators
    risk_inputs: str = "probabilities"


@dataclass
class TrainingResult:
    model: EnsembleModel
    data_sha256: str
    metrics: dict[str, Any] = field(default_factory=dict)
    # Combined probabilities: out-of-fold on train, and on dev (what a later stage, such
    # as the semantic ensemble, learns from).
    E_train_oof: np.ndarray | None = None
    E_dev: np.ndarray | None = None
    # The TF-IDF probability that an ad is deceptive, out-of-fold on train and on dev.
    deceptive_train_oof: np.ndarray | None = None
    deceptive_dev: np.ndarray | None = None
    # Which indicators a rule found, per ad of train and of dev (`combine.rules_found`).
    rules_train: np.ndarray | None = None
    rules_dev: np.ndarray | None = None


def _targets(ads: Sequence[LabelledAd], labels: Sequence[str]) -> np.ndarray:
    return np.array([[int(label in ad.indicators) for label in labels] for ad in ads])


def _with_kind(Y: np.ndarray, ads: Sequence[LabelledAd]) -> np.ndarray:
    """The indicator targets with the DECEPTIVE_COLUMN after them."""
    return np.column_stack([Y, [int(ad.kind == "deceptive") for ad in ads]])


def _macro_f1(Y: np.ndarray, P: np.ndarray, thresholds: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(Y, P >= thresholds[None, :], average="macro", zero_division=0))


def _tuned(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.array(choose_thresholds(P, Y)[0])


def _out_of_fold(train: Sequence[LabelledAd], Y: np.ndarray, make: Callable[[], TfidfIndicatorModel],
                 folds: int, seed: int) -> np.ndarray:
    out = np.zeros(Y.shape)
    fold_of = writer_folds(train, folds, seed)
    for fold in range(folds):
        fit_idx, hold_idx = np.where(fold_of != fold)[0], np.where(fold_of == fold)[0]
        model = make().fit([train[i].text for i in fit_idx], [train[i].lang for i in fit_idx],
                           Y[fit_idx])
        out[hold_idx] = model.predict_proba([train[i].text for i in hold_idx],
                                            [train[i].lang for i in hold_idx])
    return out


def train_ensemble(train: Sequence[LabelledAd], dev: Sequence[LabelledAd], labels: Sequence[str],
                   rules: RulesDetector, *, modes: Sequence[str] = ("shared",),
                   folds: int = 3, seed: int = 13,
                   report: Callable[[str], None] = lambda message: None) -> TrainingResult:
    """Fit on `train`; choose the TF-IDF mode and risk thresholds on `dev`, per-indicator
    thresholds on out-of-fold train and dev together (`unseen_writer_thresholds`).

    `modes` lists the TF-IDF variants to compare on dev ("shared": one model for both
    languages; "per_language": one per language). Shared won on dev when both were
    measured (macro-F1 0.793 vs 0.779), so it is the default and the only one fitted
    unless asked.

    The TF-IDF model also learns the DECEPTIVE_COLUMN (one more logistic regression over
    the same features). The risk model learns from out-of-fold probabilities on train
    (`fit_risk`).
    """
    labels = list(labels)
    n = len(labels)
    Y_train, Y_dev = _targets(train, labels), _targets(dev, labels)
    columns, K_train = [*labels, DECEPTIVE_COLUMN], _with_kind(Y_train, train)
    train_texts, train_langs = [a.text for a in train], [a.lang for a in train]
    dev_texts, dev_langs = [a.text for a in dev], [a.lang for a in dev]
    metrics: dict[str, Any] = {"train_ads": len(train), "dev_ads": len(dev), "modes": {}}

    candidates = {}
    for mode in modes:
        report(f"fitting TF-IDF ({mode})")
        model = TfidfIndicatorModel(columns, mode=mode).fit(train_texts, train_langs, K_train)
        P_dev = model.predict_proba(dev_texts, dev_langs)
        thresholds = _tuned(Y_dev, P_dev[:, :n])
        candidates[mode] = (model, P_dev, thresholds)
        metrics["modes"][mode] = {
            "dev_macro_f1_at_0.5": _macro_f1(Y_dev, P_dev[:, :n], np.full(n, 0.5)),
            "dev_macro_f1_tuned": _macro_f1(Y_dev, P_dev[:, :n], thresholds)}
    mode = max(candidates, key=lambda m: metrics["modes"][m]["dev_macro_f1_tuned"])
    tfidf, P_dev, tfidf_thresholds = candidates[mode]
    P_dev, deceptive_dev = P_dev[:, :n], P_dev[:, n]
    metrics["mode"] = mode

    report("scoring rules on train and dev")
    hits_train, vocabulary_train = rules.detect_hits_by_file([a.to_ad() for a in train])
    hits_dev, vocabulary_dev = rules.detect_hits_by_file([a.to_ad() for a in dev])
    R_train = rule_features(hits_train, vocabulary_train, labels)
    R_dev = rule_features(hits_dev, vocabulary_dev, labels)

    report(f"out-of-fold TF-IDF probabilities ({folds} folds of whole writers' batches)")
    P_oof = _out_of_fold(train, K_train, lambda: TfidfIndicatorModel(columns, mode=mode), folds,
                         seed)
    P_oof, deceptive_oof = P_oof[:, :n], P_oof[:, n]
    rules_coef, rules_intercept = fit_combiner(P_oof, R_train, Y_train)
    E_oof = combine_probabilities(P_oof, R_train, rules_coef, rules_intercept)
    E_dev = combine_probabilities(P_dev, R_dev, rules_coef, rules_intercept)
    thresholds = np.array(unseen_writer_thresholds(E_oof, Y_train, E_dev, Y_dev))

    report("fitting the risk model")
    strengths = load_taxonomy().strengths(labels)
    risk = fit_risk(risk_features(E_oof, strengths, RISK_INPUTS, deceptive_oof),
                    risk_features(E_dev, strengths, RISK_INPUTS, deceptive_dev), train, dev)
    classes = list(risk.model.classes_)
    risk_model, risk_high, risk_medium = risk.model, risk.high, risk.medium

    metrics.update({
        "dev_macro_f1_tfidf": _macro_f1(Y_dev, P_dev, tfidf_thresholds),
        "dev_macro_f1_rules": _macro_f1(Y_dev, rules_found(hits_dev, labels), np.full(n, 0.5)),
        "dev_macro_f1_ensemble": _macro_f1(Y_dev, E_dev, thresholds),
        "thresholds": dict(zip(labels, map(float, thresholds))),
        "risk_thresholds": {"high": risk_high, "medium": risk_medium},
    })
    model = EnsembleModel(
        labels=labels, tfidf=tfidf, rules_coef=rules_coef, rules_intercept=rules_intercept,
        thresholds=thresholds,
        tfidf_thresholds=tfidf_thresholds, risk_model=risk_model, risk_high=risk_high,
        risk_medium=risk_medium, rules_sha256=rules.ref.sha256,
        rules_version=rules.ref.version, risk_inputs=RISK_INPUTS,
    )
    assert set(classes) <= set(RISK_LEVELS)
    return TrainingResult(model=model, data_sha256=hash_training_data(train, dev),
                          metrics=metrics, E_train_oof=E_oof, E_dev=E_dev,
                          deceptive_train_oof=deceptive_oof, deceptive_dev=deceptive_dev,
                          rules_train=rules_found(hits_train, labels),
                          rules_dev=rules_found(hits_dev, labels))


def fit_combiner(P_oof: np.ndarray, R: np.ndarray, Y: np.ndarray,
                 C: float = COMBINER_C) -> tuple[np.ndarray, np.ndarray]:
    """Per indicator, a logistic regression over `stack_features` (TF-IDF log-odds from
    out-of-fold probabilities, so it learns how far to trust imperfect ones; rule and
    vocabulary hits of every indicator). Returns its (coef, intercept); an indicator never
    (or always) seen in training keeps its prior."""
    from sklearn.linear_model import LogisticRegression

    n = Y.shape[1]
    coef, intercept = np.zeros((n, 3 + 2 * n)), np.zeros(n)
    for k in range(n):
        if Y[:, k].min() == Y[:, k].max():
            intercept[k] = 10.0 if Y[0, k] else -10.0
            continue
        fitted = LogisticRegression(C=C, max_iter=2000).fit(
            stack_features(P_oof, R, k), Y[:, k])
        coef[k], intercept[k] = fitted.coef_[0], fitted.intercept_[0]
    return coef, intercept


@dataclass
class RiskFit:
    model: Any
    high: float
    medium: float


def fit_risk(X_train: np.ndarray, X_dev: np.ndarray, train: Sequence[LabelledAd],
             dev: Sequence[LabelledAd], C: float = RISK_C) -> RiskFit:
    """The risk model over `risk_features` (from out-of-fold train probabilities, so it
    sees the kind of imperfect ones it will get on new ads), its `high` threshold at the
    dev precision target and `medium` at the best dev F1."""
    from sklearn.linear_model import LogisticRegression

    risk_model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    risk_model.fit(X_train, np.array([a.risk for a in train]))
    dev_score = risk_score(risk_model.predict_proba(X_dev), list(risk_model.classes_))
    gold_dev = np.array([a.risk for a in dev])
    high = precision_threshold((gold_dev == "high").astype(int), dev_score, HIGH_PRECISION_TARGET)
    flagged = (gold_dev != "low").astype(int)[:, None]
    medium = min(choose_thresholds(dev_score[:, None], flagged)[0][0], high)
    return RiskFit(risk_model, high, medium)
