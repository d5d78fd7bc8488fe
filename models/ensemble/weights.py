"""A trained ensemble as plain arrays: what the detector predicts with.

Training fits scikit-learn objects (models/ensemble/train.py, and semantic.py for
`indicators.ensemble.v2`); `register_trained` saves their numbers here (`ensemble.json` +
`ensemble.npz`, with the TF-IDF part as `tfidf.json` + `tfidf.npz`, see
models/tfidf/linear.py, and v2's semantic model as `semantic.json` + `semantic.npz`, see
models/semantic/model.py). Loading reads JSON and float arrays only (`allow_pickle=False`):
no code from the file runs, and neither scikit-learn nor skops is imported, which is most
of `centinela detect`'s start-up otherwise. Ensembles saved before (one `ensemble.skops`)
still load, through skops.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.artifacts import Artifact, ArtifactError, load_skops, read_arrays, write_arrays
from models.risk import DECEPTIVE_COLUMN, PROBABILITIES, risk_input_width
from models.tfidf.linear import LinearTfidfModel

FORMAT = "centinela.ensemble-linear.v1"
SKOPS_FILE = "ensemble.skops"  # how ensembles were saved before


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


class EnsembleWeights:
    """Everything `EnsembleDetector` needs besides the rules, under the attribute names of
    the trained `EnsembleModel` (or v2's `SemanticEnsembleModel`): its TF-IDF part as a
    `LinearTfidfModel`, its risk model as a `LinearRisk`, v2's semantic model (arrays
    already), its arrays and its plain values (numbers, strings, labels). Saved field by
    field, so a field training adds is saved too (or refused, if it is none of these)."""

    def __init__(self, **fields: Any):
        self.fields = fields
        self.__dict__.update(fields)

    @classmethod
    def from_model(cls, model: Any) -> EnsembleWeights:
        """The arrays and values of a trained `EnsembleModel` or `SemanticEnsembleModel`
        (dataclasses)."""
        fields = {}
        for name, value in ((f.name, getattr(model, f.name))
                            for f in dataclasses.fields(model)):
            if name == "tfidf":
                fields[name] = LinearTfidfModel.from_fitted(value)
            elif name == "risk_model":
                fields[name] = LinearRisk.from_fitted(value)
            elif name == "semantic":
                fields[name] = value
            elif isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
                fields[name] = value.astype(np.float64)
            elif _plain(value):
                fields[name] = value
            else:
                raise ValueError(f"models/ensemble/weights.py cannot save the field {name!r} "
                                 f"({type(value).__name__}) as arrays")
        return cls(**fields)

    def save(self, folder: Path) -> None:
        arrays, values, parts = {}, {}, []
        for name, value in self.fields.items():
            if name in ("tfidf", "semantic"):
                value.save(folder, name)  # tfidf.json/.npz, semantic.json/.npz
                parts.append(name)
            elif name == "risk_model":
                arrays.update(risk_coef=value.coef, risk_intercept=value.intercept)
                values["risk_classes"] = value.classes_
            elif isinstance(value, np.ndarray):
                arrays[name] = value
            else:
                values[name] = value
        write_arrays(folder, "ensemble", {"format": FORMAT, "values": values,
                                          "arrays": sorted(arrays), "parts": sorted(parts)},
                     arrays, indent=1)

    @classmethod
    def load(cls, folder: Path) -> EnsembleWeights:
        spec, arrays = read_arrays(folder, "ensemble", FORMAT)
        try:
            values = dict(spec["values"])
            risk = LinearRisk([str(c) for c in values.pop("risk_classes")],
                              arrays.pop("risk_coef"), arrays.pop("risk_intercept"))
            fields = {**values, **arrays, "tfidf": LinearTfidfModel.load(folder),
                      "risk_model": risk}
            if "semantic" in spec.get("parts", []):  # indicators.ensemble.v2
                from models.semantic.model import SemanticModel

                fields["semantic"] = SemanticModel.load(folder, "semantic")
            labels = list(fields["labels"])
            width = risk_input_width(len(labels), fields.get("risk_inputs", PROBABILITIES))
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{folder}: not an ensemble model ({exc!r}); retrain it with "
                                "`centinela train`") from None
        if fields["tfidf"].labels not in (labels, [*labels, DECEPTIVE_COLUMN]) or \
                ("semantic" in fields and fields["semantic"].labels != labels) or \
                risk.coef.shape[1] != width or \
                any(a.shape[:1] != (len(labels),) for a in arrays.values()):
            raise ArtifactError(f"{folder}: the ensemble's arrays do not match its labels; "
                                "retrain it with `centinela train`")
        return cls(**fields)


def _plain(value: Any) -> bool:
    """A value JSON keeps exactly: None, a number, a string, or a list of strings."""
    return (value is None or isinstance(value, (bool, int, float, str))
            or (isinstance(value, list) and all(isinstance(v, str) for v in value)))


def load_ensemble_weights(artifact: Artifact) -> EnsembleWeights:
    """The ensemble of a registered artifact; one saved before the arrays format (a
    single ensemble.skops) loads through skops (slower)."""
    if artifact.file("ensemble.json").is_file():
        return EnsembleWeights.load(artifact.path)
    if artifact.file(SKOPS_FILE).is_file():
        return EnsembleWeights.from_model(load_skops(artifact.file(SKOPS_FILE)))
    raise ArtifactError(f"{artifact.path}: no ensemble model files; retrain with "
                        "`centinela train`")
