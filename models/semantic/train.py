"""Fit the semantic model on the corpus: the sentences that hold gold evidence (and the
evidence spans themselves) are the positives of their indicator, every other sentence of
the corpus a negative; thresholds on ad probabilities are chosen on dev."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from corpora.normalize import normalize_text
from corpora.records import LabelledAd
from models.folds import writer_folds
from models.semantic.encoder import Encoder
from models.semantic.model import SemanticModel, ad_proba, score_sentences
from models.semantic.sentences import sentences
from models.thresholds import choose_thresholds

DEFAULT_C = 8.0  # of 0.5, 2 and 8, the best dev macro-F1 (0.727, 0.760, 0.776)


@dataclass
class Examples:
    """Training sentences: texts, 0/1 labels and the ad each comes from."""

    texts: list[str]
    Y: np.ndarray
    ad: np.ndarray
    is_span: np.ndarray  # an evidence span on its own, not a sentence of the ad


def sentence_examples(ads: Sequence[LabelledAd], labels: Sequence[str],
                      with_spans: bool = True) -> Examples:
    """Each sentence of each ad, positive for an indicator when it holds (at least half
    of) one of its evidence spans or is mostly made of one; with `with_spans`, each
    evidence span again on its own."""
    index = {label: k for k, label in enumerate(labels)}
    texts, rows, owners, is_span = [], [], [], []
    for i, ad in enumerate(ads):
        norm = normalize_text(ad.text)
        spans = [(index[label], ev.start, ev.end) for label, evs in ad.evidence.items()
                 if label in index for ev in evs]
        for s, e in sentences(norm.text):
            start, end = norm.to_original(s, e)
            row = np.zeros(len(labels), dtype=np.int8)
            for k, a, b in spans:
                overlap = min(end, b) - max(start, a)
                if overlap > 0 and (2 * overlap >= b - a or 2 * overlap >= end - start):
                    row[k] = 1
            texts.append(norm.text[s:e])
            rows.append(row)
            owners.append(i)
            is_span.append(False)
        if with_spans:
            by_span: dict[tuple[int, int], np.ndarray] = {}
            for k, a, b in spans:
                by_span.setdefault((a, b), np.zeros(len(labels), dtype=np.int8))[k] = 1
            for (a, b), row in by_span.items():
                if len(ad.text[a:b].split()) >= 2:
                    texts.append(ad.text[a:b])
                    rows.append(row)
                    owners.append(i)
                    is_span.append(True)
    Y = np.array(rows, dtype=np.int8).reshape(len(rows), len(labels))
    return Examples(texts, Y, np.array(owners, dtype=int), np.array(is_span, dtype=bool))


def fit_classifiers(X: np.ndarray, Y: np.ndarray, C: float = DEFAULT_C
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of one logistic regression per label column of `Y`."""
    from sklearn.linear_model import LogisticRegression

    coef = np.zeros((Y.shape[1], X.shape[1]))
    intercept = np.full(Y.shape[1], -10.0)  # a label without positives never fires
    for k in range(Y.shape[1]):
        if Y[:, k].min() == Y[:, k].max():
            continue
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
        clf.fit(X, Y[:, k])
        coef[k], intercept[k] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def _targets(ads: Sequence[LabelledAd], labels: Sequence[str]) -> np.ndarray:
    return np.array([[int(label in ad.indicators) for label in labels] for ad in ads])


@dataclass
class SemanticTraining:
    model: SemanticModel
    metrics: dict
    P_dev: np.ndarray  # (n_dev, n_labels) ad probabilities
    P_train_oof: np.ndarray | None  # out-of-fold ad probabilities on train, when asked


def _out_of_fold(examples: Examples, X: np.ndarray, train: Sequence[LabelledAd],
                 n_labels: int, C: float, folds: int, seed: int) -> np.ndarray:
    """Each train ad's probabilities from a model fitted on the other folds' ads (whole
    writers' batches, `models.folds.writer_folds`, as the TF-IDF part's)."""
    fold_of = writer_folds(train, folds, seed)
    out = np.zeros((len(train), n_labels))
    for f in range(folds):
        held = fold_of[examples.ad] == f
        coef, intercept = fit_classifiers(X[~held], examples.Y[~held], C)
        rows = np.where(held & ~examples.is_span)[0]
        P = 1.0 / (1.0 + np.exp(-(X[rows] @ coef.T + intercept)))
        np.maximum.at(out, examples.ad[rows], P)
    return out


def train_semantic(train: Sequence[LabelledAd], dev: Sequence[LabelledAd],
                   labels: Sequence[str], encoder: Encoder, *, C: float = DEFAULT_C,
                   folds: int = 0, seed: int = 13,
                   report: Callable[[str], None] = lambda message: None) -> SemanticTraining:
    """Fit on `train`'s sentences, choose per-indicator thresholds on `dev` ads; with
    `folds`, also out-of-fold ad probabilities on train (for the ensemble)."""
    from sklearn.metrics import f1_score

    labels = list(labels)
    examples = sentence_examples(train, labels)
    report(f"embedding {len(examples.texts):,} training sentences")
    X = encoder.encode(examples.texts)
    report("fitting a classifier per indicator")
    coef, intercept = fit_classifiers(X, examples.Y, C)
    model = SemanticModel(labels=labels, encoder_id=encoder.id, coef=coef,
                          intercept=intercept, thresholds=np.full(len(labels), 0.5))
    P_oof = (_out_of_fold(examples, X, train, len(labels), C, folds, seed)
             if folds else None)
    report(f"embedding the {len(dev)} dev ads")
    P_dev = ad_proba(score_sentences(model, encoder, [ad.text for ad in dev]), len(labels))
    Y_dev = _targets(dev, labels)
    thresholds, _ = choose_thresholds(P_dev, Y_dev)
    model.thresholds = np.array(thresholds)
    metrics = {
        "train_sentences": len(examples.texts),
        "encoder": encoder.id,
        "C": C,
        "dev_macro_f1_semantic": float(f1_score(Y_dev, P_dev >= model.thresholds[None, :],
                                                average="macro", zero_division=0)),
        "semantic_thresholds": dict(zip(labels, map(float, thresholds))),
    }
    return SemanticTraining(model, metrics, P_dev, P_oof)
