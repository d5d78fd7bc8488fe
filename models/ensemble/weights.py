"""A trained `indicators.ensemble.v1` as plain arrays: what the detector predicts with.

Training fits scikit-learn objects (models/ensemble/train.py); `register_trained` saves
their numbers here (`ensemble.json` + `ensemble.npz`, with the TF-IDF part as
`tfidf.json` + `tfidf.npz`, see models/tfidf/linear.py). Loading reads JSON and float
arrays only (`allow_pickle=False`): no code from the file runs, and neither scikit-learn
nor skops is imported, which is most of `centinela detect`'s start-up otherwise.
Ensembles saved before (one `ensemble.skops`) still load, through skops.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.artifacts import Artifact, ArtifactError, load_skops
from models.tfidf.linear import LinearTfidfModel, read_arrays

FORMAT = "centinela.ensemble-linear.v1"
SKOPS_FILE = "ensemble.skops"  # how ensembles were saved before
# The fields of a trained EnsembleModel that `from_model` carries over; a new field must
# be added here (and to the files) before such a model can be saved.
_MODEL_FIELDS = {"labels", "tfidf", "rule_weights", "thresholds", "tfidf_thresholds",
                 "risk_model", "risk_high", "risk_medium", "rules_sha256", "rules_version"}
_ARRAYS = ("rule_weights", "thresholds", "tfidf_thresholds")


@dataclass
class LinearRisk:
    """A fitted `LogisticRegression` over indicator probabilities: the same
    `predict_proba` (softmax over classes, or a sigmoid for two) and `classes_`."""

    classes_: list[str]
    coef: np.ndarray  # (n_classes or 1, n_features)
    intercept: np.ndarray

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        decision = X @ self.coef.T + self.intercept
        if len(self.classes_) == 2:
            positive = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        decision = np.exp(decision - decision.max(axis=1, keepdims=True))
        return decision / decision.sum(axis=1, keepdims=True)

    @classmethod
    def from_fitted(cls, model: Any) -> LinearRisk:
        expected = 1 if len(model.classes_) == 2 else len(model.classes_)
        if model.coef_.shape[0] != expected:
            raise ValueError("the risk model must be a plain logistic regression")
        return cls([str(c) for c in model.classes_], np.asarray(model.coef_, dtype=float),
                   np.asarray(model.intercept_, dtype=float))


@dataclass
class EnsembleWeights:
    """Everything `EnsembleDetector` needs besides the rules, under the same attribute
    names as the trained `EnsembleModel`."""

    labels: list[str]
    tfidf: LinearTfidfModel
    rule_weights: np.ndarray
    thresholds: np.ndarray
    tfidf_thresholds: np.ndarray
    risk_model: LinearRisk
    risk_high: float
    risk_medium: float
    rules_sha256: str
    rules_version: str = "1"

    @classmethod
    def from_model(cls, model: Any) -> EnsembleWeights:
        """The arrays of a trained `EnsembleModel`."""
        unknown = {f.name for f in dataclasses.fields(model)} - _MODEL_FIELDS
        if unknown:
            raise ValueError(f"models/ensemble/weights.py does not save {sorted(unknown)} "
                             "yet: add them there")
        return cls(labels=list(model.labels), tfidf=LinearTfidfModel.from_fitted(model.tfidf),
                   **{key: np.asarray(getattr(model, key), dtype=float) for key in _ARRAYS},
                   risk_model=LinearRisk.from_fitted(model.risk_model),
                   risk_high=float(model.risk_high), risk_medium=float(model.risk_medium),
                   rules_sha256=model.rules_sha256, rules_version=model.rules_version)

    def save(self, folder: Path) -> None:
        self.tfidf.save(folder)
        arrays = {key: getattr(self, key) for key in _ARRAYS}
        arrays.update(risk_coef=self.risk_model.coef, risk_intercept=self.risk_model.intercept)
        (folder / "ensemble.json").write_text(json.dumps({
            "format": FORMAT, "labels": self.labels, "risk_classes": self.risk_model.classes_,
            "risk_high": self.risk_high, "risk_medium": self.risk_medium,
            "rules_sha256": self.rules_sha256, "rules_version": self.rules_version,
        }, ensure_ascii=False, indent=1), encoding="utf-8")
        with (folder / "ensemble.npz").open("wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, folder: Path) -> EnsembleWeights:
        spec, arrays = read_arrays(folder, "ensemble", FORMAT)
        try:
            weights = cls(
                labels=list(spec["labels"]), tfidf=LinearTfidfModel.load(folder),
                **{key: arrays[key] for key in _ARRAYS},
                risk_model=LinearRisk(list(spec["risk_classes"]), arrays["risk_coef"],
                                      arrays["risk_intercept"]),
                risk_high=float(spec["risk_high"]), risk_medium=float(spec["risk_medium"]),
                rules_sha256=str(spec["rules_sha256"]), rules_version=str(spec["rules_version"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{folder}: not an ensemble model ({exc!r}); retrain it with "
                                "`centinela train`") from None
        n = len(weights.labels)
        if weights.tfidf.labels != weights.labels or \
                any(arrays[key].shape != (n,) for key in _ARRAYS) or \
                weights.risk_model.coef.shape[1] != n:
            raise ArtifactError(f"{folder}: the ensemble's arrays do not match its labels; "
                                "retrain it with `centinela train`")
        return weights


def load_ensemble_weights(artifact: Artifact) -> EnsembleWeights:
    """The ensemble of a registered artifact; one saved before the arrays format (a
    single ensemble.skops) loads through skops (slower)."""
    if artifact.file("ensemble.json").is_file():
        return EnsembleWeights.load(artifact.path)
    if artifact.file(SKOPS_FILE).is_file():
        return EnsembleWeights.from_model(load_skops(artifact.file(SKOPS_FILE)))
    raise ArtifactError(f"{artifact.path}: no ensemble model files; retrain with "
                        "`centinela train`")
