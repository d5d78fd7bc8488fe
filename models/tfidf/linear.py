"""The fitted TF-IDF model as plain arrays, to predict without scikit-learn or skops.

A fitted `TfidfIndicatorModel` (scikit-learn pipelines: TF-IDF word and character
n-grams, then one logistic regression per indicator, Platt-calibrated) is saved as a JSON
file (settings, labels, vocabularies) and an .npz of numbers (idf, weights, intercepts,
calibration), read back with `allow_pickle=False`: loading runs no code from the file and
imports neither scikit-learn nor skops (seconds at start-up). `LinearTfidfModel` computes
the same features, probabilities (tests hold them equal to the scikit-learn pipelines to
1e-9 on the corpus) and evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from corpora.normalize import fold_text
from models.artifacts import ArtifactError, read_arrays, write_arrays

FORMAT = "centinela.tfidf-linear.v1"
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizers normalise spaces
_WORD_CACHE_SIZE = 200_000


class Row(NamedTuple):
    """One text's features: sorted column indices and their TF-IDF values."""

    indices: np.ndarray
    data: np.ndarray


@dataclass
class NgramSpace:
    """One TF-IDF vectorizer (`TfidfVectorizer` with `preprocessor=fold_text`, l2 norm):
    word n-grams of `token_pattern`, or character n-grams inside words ("char_wb")."""

    analyzer: str
    ngram_range: tuple[int, int]
    token_pattern: str | None
    sublinear_tf: bool
    terms: list[str]
    idf: np.ndarray
    _vocabulary: dict[str, int] = field(init=False, repr=False)
    _word_columns: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ("word", "char_wb"):
            raise ArtifactError(f"unsupported TF-IDF analyzer {self.analyzer!r}")
        if len(self.terms) != len(self.idf):
            raise ArtifactError("a TF-IDF vocabulary and its idf differ in length")
        self._vocabulary = {term: i for i, term in enumerate(self.terms)}
        self._token = re.compile(self.token_pattern) if self.analyzer == "word" else None
        self._word_columns = {}  # char_wb: a word's n-grams depend on the word alone

    def columns(self, folded: str) -> list[int]:
        """The column of every n-gram occurrence of `folded` that is in the vocabulary."""
        vocabulary = self._vocabulary
        if self._token is not None:
            return [vocabulary[g] for g in self._word_ngrams(self._token.findall(folded))
                    if g in vocabulary]
        out: list[int] = []
        cache = self._word_columns
        for word in _WHITE_SPACES.sub(" ", folded).split():
            found = cache.get(word)
            if found is None:
                if len(cache) >= _WORD_CACHE_SIZE:
                    cache.clear()
                found = cache[word] = [vocabulary[g] for g in self._char_wb_ngrams(word)
                                       if g in vocabulary]
            out.extend(found)
        return out

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        low, high = self.ngram_range
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_wb_ngrams(self, word: str) -> list[str]:
        low, high = self.ngram_range
        padded = f" {word} "
        grams = []
        for n in range(low, high + 1):
            if n >= len(padded):  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
        return grams

    def transform(self, folded: str) -> Row:
        """Counts, sublinear tf, idf and l2 norm, as `TfidfVectorizer.transform`."""
        indices, counts = np.unique(np.array(self.columns(folded), dtype=np.int64),
                                    return_counts=True)
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values *= self.idf[indices]
        norm = np.sqrt(np.dot(values, values))
        if norm > 0:
            values /= norm
        return Row(indices, values)


@dataclass
class LinearGroup:
    """One group's features (the vectorizers side by side) and per-label linear models:
    p = sigmoid(-(a (x.w + b) + c)) when calibrated, sigmoid(x.w + b) when not, and a
    constant for a label that training never (or always) saw."""

    names: list[str]
    spaces: list[NgramSpace]
    weights: np.ndarray  # (n_features, n_labels)
    intercepts: np.ndarray  # (n_labels,)
    platt: np.ndarray  # (n_labels, 2): a, c; NaN where uncalibrated
    constants: np.ndarray  # (n_labels,): NaN where a model predicts
    _names: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.offsets = np.cumsum([0] + [len(s.terms) for s in self.spaces])
        n_labels = len(self.intercepts)
        if self.weights.shape != (int(self.offsets[-1]), n_labels) or \
                self.platt.shape != (n_labels, 2) or self.constants.shape != (n_labels,):
            raise ArtifactError("the TF-IDF weights do not match its vocabularies or labels")

    def row(self, text: str) -> Row:
        """The features of a clean text (folded here, as the vectorizers' preprocessor)."""
        folded = fold_text(text)
        parts = [space.transform(folded) for space in self.spaces]
        return Row(np.concatenate([p.indices + off for p, off in zip(parts, self.offsets)]),
                   np.concatenate([p.data for p in parts]))

    def probabilities(self, rows: Sequence[Row]) -> np.ndarray:
        decision = np.array([row.data @ self.weights[row.indices] for row in rows]
                            ).reshape(len(rows), -1) + self.intercepts
        a, c = self.platt[:, 0], self.platt[:, 1]
        calibrated = ~np.isnan(a)
        z = np.where(calibrated, -(a * decision + c), decision)
        with np.errstate(over="ignore"):  # exp overflows to inf: a probability of 0
            out = 1.0 / (1.0 + np.exp(-z))
        constant = ~np.isnan(self.constants)
        out[:, constant] = self.constants[constant]
        return out

    def feature_names(self) -> np.ndarray:
        """`word__<term>` / `char__<term>` per column, as the scikit-learn FeatureUnion."""
        if self._names is None:
            self._names = np.array([f"{name}__{term}" for name, space in
                                    zip(self.names, self.spaces) for term in space.terms])
        return self._names


@dataclass
class LinearTfidfModel:
    """`TfidfIndicatorModel`'s predictions and evidence from plain arrays."""

    labels: list[str]
    mode: str
    groups: dict[str, LinearGroup]

    def _group_of(self, lang: str) -> str | None:
        group = "all" if self.mode == "shared" else lang
        return group if group in self.groups else None

    def rows(self, texts: Sequence[str], langs: Sequence[str]) -> list[Row | None]:
        """Each clean text's features (None where its language has no model)."""
        out: list[Row | None] = []
        for text, lang in zip(texts, langs, strict=True):
            group = self._group_of(lang)
            out.append(None if group is None else self.groups[group].row(text))
        return out

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str],
                      rows: Sequence[Row | None] | None = None) -> np.ndarray:
        """(n_ads, n_labels) probabilities of clean texts; rows of languages without a
        model are 0. `rows` (from `rows`) saves computing the features again."""
        rows = self.rows(texts, langs) if rows is None else rows
        out = np.zeros((len(texts), len(self.labels)))
        by_group: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            if (group := self._group_of(lang)) is not None:
                by_group.setdefault(group, []).append(i)
        for group, index in by_group.items():
            out[index] = self.groups[group].probabilities([rows[i] for i in index])
        return out

    def select(self, labels: Sequence[str]) -> LinearTfidfModel:
        """The same features with only the models of `labels`, in that order."""
        index = [self.labels.index(label) for label in labels]
        return LinearTfidfModel(list(labels), self.mode, {
            group: LinearGroup(linear.names, linear.spaces, linear.weights[:, index],
                               linear.intercepts[index], linear.platt[index],
                               linear.constants[index])
            for group, linear in self.groups.items()})

    def evidence(self, text: str, lang: str, labels: Sequence[int], max_phrases: int = 3,
                 row: Row | None = None) -> dict[int, list[tuple[int, int]]]:
        """Per label, the character spans of the clean `text` behind it (see
        `TfidfIndicatorModel.evidence`)."""
        from models.tfidf.model import label_evidence

        group = self._group_of(lang)
        if group is None or not labels:
            return {}
        linear = self.groups[group]
        row = linear.row(text) if row is None else row
        names = linear.feature_names()
        return {label: label_evidence(text, lang, row, names, linear.weights[:, label],
                                      max_phrases)
                for label in labels}

    @classmethod
    def from_fitted(cls, model: Any) -> LinearTfidfModel:
        """The arrays of a fitted `TfidfIndicatorModel`; refuses a configuration these
        features would not reproduce exactly."""
        return cls(list(model.labels), model.mode,
                   {group: _group_from_pipeline(pipeline)
                    for group, pipeline in model.pipelines_.items()})

    def save(self, folder: Path, stem: str = "tfidf") -> None:
        """`<stem>.json` (settings, labels, vocabularies) and `<stem>.npz` (numbers)."""
        arrays: dict[str, np.ndarray] = {}
        groups = {}
        for group, linear in self.groups.items():
            spaces = []
            for name, space in zip(linear.names, linear.spaces):
                arrays[f"{group}/{name}/idf"] = space.idf
                spaces.append({"name": name, "analyzer": space.analyzer,
                               "ngram_range": list(space.ngram_range),
                               "token_pattern": space.token_pattern,
                               "sublinear_tf": space.sublinear_tf, "terms": space.terms})
            for key in ("weights", "intercepts", "platt", "constants"):
                arrays[f"{group}/{key}"] = getattr(linear, key)
            groups[group] = spaces
        write_arrays(folder, stem, {"format": FORMAT, "labels": self.labels,
                                    "mode": self.mode, "groups": groups}, arrays)

    @classmethod
    def load(cls, folder: Path, stem: str = "tfidf") -> LinearTfidfModel:
        """Read what `save` wrote; an ArtifactError names what is wrong."""
        spec, arrays = read_arrays(folder, stem, FORMAT)
        try:
            groups = {}
            for group, spaces in spec["groups"].items():
                groups[group] = LinearGroup(
                    names=[s["name"] for s in spaces],
                    spaces=[NgramSpace(s["analyzer"], tuple(s["ngram_range"]),
                                       s["token_pattern"], bool(s["sublinear_tf"]),
                                       list(s["terms"]), arrays[f"{group}/{s['name']}/idf"])
                            for s in spaces],
                    **{key: arrays[f"{group}/{key}"]
                       for key in ("weights", "intercepts", "platt", "constants")})
            return cls(list(spec["labels"]), spec["mode"], groups)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{folder / stem}.json/.npz: not a TF-IDF model ({exc!r})") \
                from None


def _group_from_pipeline(pipeline: Any) -> LinearGroup:
    features, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    names, spaces = [], []
    for name, vectorizer in features.transformer_list:
        _check_vectorizer(name, vectorizer)
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        names.append(name)
        spaces.append(NgramSpace(vectorizer.analyzer, tuple(vectorizer.ngram_range),
                                 vectorizer.token_pattern if vectorizer.analyzer == "word"
                                 else None, bool(vectorizer.sublinear_tf), terms,
                                 np.asarray(vectorizer.idf_, dtype=np.float64)))
    if not clf.multilabel_:
        raise ValueError("only a multi-label classifier exports to arrays")
    n_features = sum(len(s.terms) for s in spaces)
    n_labels = len(clf.estimators_)
    weights = np.zeros((n_features, n_labels))
    intercepts, constants = np.zeros(n_labels), np.full(n_labels, np.nan)
    platt = np.full((n_labels, 2), np.nan)
    for k, estimator in enumerate(clf.estimators_):
        if isinstance(estimator, float):
            constants[k] = estimator
            continue
        if hasattr(estimator, "calibrated_classifiers_"):
            (calibrated,) = estimator.calibrated_classifiers_  # ensemble=False: one model
            (sigmoid,) = calibrated.calibrators
            if calibrated.method != "sigmoid":
                raise ValueError(f"cannot export {calibrated.method} calibration")
            platt[k] = (sigmoid.a_, sigmoid.b_)
            estimator = calibrated.estimator
        if list(estimator.classes_) != [0, 1] or estimator.coef_.shape != (1, n_features):
            raise ValueError("each label's model must be a binary linear one")
        weights[:, k] = estimator.coef_[0]
        intercepts[k] = estimator.intercept_[0]
    return LinearGroup(names, spaces, weights, intercepts, platt, constants)


def _check_vectorizer(name: str, v: Any) -> None:
    """What `NgramSpace` reproduces: TF-IDF over fold_text, l2, no stop words or limits
    applied at transform time beyond the vocabulary."""
    supported = (v.preprocessor is fold_text and v.analyzer in ("word", "char_wb")
                 and v.tokenizer is None and v.stop_words is None and not v.binary
                 and v.use_idf and v.norm == "l2" and v.input == "content"
                 and (v.analyzer != "word" or re.compile(v.token_pattern).groups == 0))
    if not supported:
        raise ValueError(f"the {name!r} TF-IDF features use settings that "
                         "models/tfidf/linear.py does not reproduce")
