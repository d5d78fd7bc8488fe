"""The trained models as plain arrays (models/tfidf/linear.py, models/ensemble/weights.py)
predict what the scikit-learn objects predict, load without running code or importing
scikit-learn, and older skops artifacts still load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corpora.corpus import load_corpus, read_splits
from corpora.normalize import normalize_text
from models.artifacts import ArtifactError, load_artifact, save_artifact, save_skops
from models.ensemble.train import EnsembleModel
from models.ensemble.weights import EnsembleWeights, LinearRisk, load_ensemble_weights
from models.tfidf.linear import LinearTfidfModel
from models.tfidf.model import TfidfIndicatorModel
from tests.detect_process import detect_in_fresh_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus():
    ads = load_corpus().ads
    train_ids = set(read_splits().ids["train"])
    return [ad for ad in ads if ad.id in train_ids], ads


@pytest.fixture(scope="module", params=["shared", "per_language"])
def fitted(request, corpus):
    """A TF-IDF model fitted on part of the train split, as training fits it."""
    train, _ = corpus
    train = train[::2]
    labels = sorted({i for ad in train for i in ad.indicators}) + ["NEVER_SEEN"]
    Y = np.array([[int(label in ad.indicators) for label in labels] for ad in train])
    model = TfidfIndicatorModel(labels, mode=request.param)
    return model.fit([a.text for a in train], [a.lang for a in train], Y)


@pytest.fixture(scope="module")
def texts(corpus):
    _, ads = corpus
    return [normalize_text(a.text).text for a in ads], [a.lang for a in ads]


def test_linear_tfidf_predicts_what_scikit_learn_predicts(fitted, texts, tmp_path):
    texts, langs = texts
    expected = fitted.predict_proba(texts, langs)
    linear = LinearTfidfModel.from_fitted(fitted)
    assert np.abs(linear.predict_proba(texts, langs) - expected).max() < 1e-9
    assert np.ptp(expected[:, :-1]) > 0.5  # real predictions, not constants
    assert (expected[:, -1] == 0).all()  # a label never seen: its constant prior
    linear.save(tmp_path)
    loaded = LinearTfidfModel.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(texts, langs), linear.predict_proba(texts, langs))
    # the same evidence phrases
    P = expected
    for i in range(0, len(texts), 5):
        labels = [int(k) for k in np.where(P[i, :-1] >= 0.3)[0]]
        assert loaded.evidence(texts[i], langs[i], labels) == \
            fitted.evidence(texts[i], langs[i], labels), i


def test_selected_labels_keep_their_probabilities_and_evidence(fitted, texts):
    """What the ensemble registers as indicators.tfidf.v1: its TF-IDF without the extra
    column it trains for the risk model."""
    texts, langs = texts
    linear = LinearTfidfModel.from_fitted(fitted)
    keep = [linear.labels[2], linear.labels[0]]
    selected = linear.select(keep)
    assert selected.labels == keep
    P, Q = linear.predict_proba(texts, langs), selected.predict_proba(texts, langs)
    assert np.abs(Q - P[:, [2, 0]]).max() < 1e-12  # the same, up to the sums' order
    assert selected.evidence(texts[0], langs[0], [0]) == {0: linear.evidence(
        texts[0], langs[0], [2])[2]}
    with pytest.raises(ValueError):
        linear.select(["NOT_A_LABEL"])


def test_linear_risk_predicts_what_logistic_regression_predicts(texts, fitted):
    from sklearn.linear_model import LogisticRegression

    P = fitted.predict_proba(*texts)
    levels = np.array(["low", "medium", "high"])[np.clip(np.round(P.sum(axis=1)), 0, 2)
                                                  .astype(int)]
    for y in (levels, np.where(levels == "high", "high", "low")):
        model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(P, y)
        linear = LinearRisk.from_fitted(model)
        assert linear.classes_ == list(model.classes_)
        assert np.abs(linear.predict_proba(P) - model.predict_proba(P)).max() < 1e-9


def _ensemble(fitted, texts) -> EnsembleModel:
    from sklearn.linear_model import LogisticRegression

    P = fitted.predict_proba(*texts)
    risk = np.array(["low", "medium", "high"])[np.clip(np.round(P.sum(axis=1)), 0, 2)
                                                .astype(int)]
    n = len(fitted.labels)
    return EnsembleModel(
        labels=fitted.labels, tfidf=fitted, rules_coef=np.linspace(0.5, 0.9, n * (3 + 2 * n)
                                                                   ).reshape(n, -1),
        rules_intercept=np.full(n, -1.0),
        thresholds=np.full(n, 0.4), tfidf_thresholds=np.full(n, 0.5),
        risk_model=LogisticRegression(max_iter=2000).fit(P, risk), risk_high=0.7,
        risk_medium=0.3, rules_sha256="r" * 64)


def test_an_ensemble_saved_as_skops_before_still_loads(fitted, texts, tmp_path):
    model = _ensemble(fitted, texts)
    old = save_artifact(tmp_path, "indicators.ensemble", "old",
                        lambda folder: save_skops(model, folder / "ensemble.skops"),
                        training_data_sha256="d" * 64)
    new = save_artifact(tmp_path, "indicators.ensemble", "new",
                        EnsembleWeights.from_model(model).save, training_data_sha256="d" * 64)
    assert not list(new.path.glob("*.skops"))
    P = fitted.predict_proba(*texts)
    for artifact in (old, new):
        weights = load_ensemble_weights(load_artifact(artifact.path))
        assert np.abs(weights.tfidf.predict_proba(*texts) - P).max() < 1e-9
        assert np.abs(weights.risk_model.predict_proba(P)
                      - model.risk_model.predict_proba(P)).max() < 1e-9
        assert np.array_equal(weights.thresholds, model.thresholds)
        assert weights.risk_high == 0.7 and weights.rules_version == "1"


def test_model_files_that_would_run_code_or_do_not_fit_are_refused(fitted, texts, tmp_path):
    EnsembleWeights.from_model(_ensemble(fitted, texts)).save(tmp_path)
    spec = json.loads((tmp_path / "ensemble.json").read_text(encoding="utf-8"))
    with np.load(tmp_path / "ensemble.npz") as npz:
        arrays = dict(npz)
    # an object array needs pickle to load: never
    np.savez(tmp_path / "ensemble.npz", **{**arrays, "thresholds": np.array([{}], dtype=object)})
    with pytest.raises(ArtifactError, match="retrain it with `centinela train`"):
        EnsembleWeights.load(tmp_path)
    np.savez(tmp_path / "ensemble.npz", **{**arrays, "thresholds": arrays["thresholds"][:3]})
    with pytest.raises(ArtifactError, match="do not match its labels"):
        EnsembleWeights.load(tmp_path)
    np.savez(tmp_path / "ensemble.npz", **arrays)
    (tmp_path / "ensemble.json").write_text(json.dumps({**spec, "format": "other"}))
    with pytest.raises(ArtifactError, match="not a centinela.ensemble-linear.v1 file"):
        EnsembleWeights.load(tmp_path)


def test_a_field_training_adds_is_saved_or_refused(fitted, texts, tmp_path):
    import dataclasses

    model = _ensemble(fitted, texts)
    n = len(model.labels)
    Extended = dataclasses.make_dataclass(
        "Extended", [("combiner", np.ndarray, None), ("gate", float, 0.5),
                     ("extra", object, None)], bases=(EnsembleModel,))
    base = {f.name: getattr(model, f.name) for f in dataclasses.fields(EnsembleModel)}
    extended = Extended(**base, combiner=np.ones((n, 3)))
    EnsembleWeights.from_model(extended).save(tmp_path)
    loaded = EnsembleWeights.load(tmp_path)
    assert np.array_equal(loaded.combiner, np.ones((n, 3))) and loaded.gate == 0.5
    with pytest.raises(ValueError, match="cannot save the field 'extra'"):
        EnsembleWeights.from_model(Extended(**base, combiner=np.ones(n), extra={"a": 1}))


def test_detect_with_the_ensemble_imports_neither_sklearn_nor_skops(fitted, texts, tmp_path):
    """What makes `centinela detect` start in seconds: the arrays load without them."""
    from models.ensemble.detector import NAME
    from models.tfidf.detector import NAME as TFIDF_NAME

    weights = EnsembleWeights.from_model(_ensemble(fitted, texts))
    root = tmp_path / "home" / "models"
    save_artifact(root, NAME, "v", weights.save, training_data_sha256="d" * 64)
    save_artifact(root, TFIDF_NAME, "v", weights.tfidf.save, training_data_sha256="d" * 64,
                  config={"thresholds": dict.fromkeys(weights.labels, 0.5)})
    ad = {"id": "a", "text": "Se busca cocinera con experiencia en Lima."}
    for model in ("indicators.ensemble.v1", "indicators.tfidf.v1", "indicators.rules.v1"):
        run = detect_in_fresh_process(tmp_path / "home", model, ad)
        assert run.record["model"]["name"] == model.rsplit(".", 1)[0]
        assert run.heavy == [], model
