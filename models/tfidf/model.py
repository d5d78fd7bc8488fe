"""TF-IDF indicator model: features, fitting, probabilities and n-gram evidence."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from corpora.normalize import fold_text

_WORD = re.compile(r"(?u)\b\w\w+\b|\d")
_PUNCT_EDGES = " \t\n.,;:!?¡¿()[]{}\"'«»*-–—/|"


def _features(word_ngrams: tuple[int, int], char_ngrams: tuple[int, int], min_df: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(preprocessor=fold_text, token_pattern=_WORD.pattern,
                                 ngram_range=word_ngrams, min_df=min_df, sublinear_tf=True)),
        ("char", TfidfVectorizer(preprocessor=fold_text, analyzer="char_wb",
                                 ngram_range=char_ngrams, min_df=min_df, sublinear_tf=True,
                                 max_features=30000)),
    ])


@dataclass
class TfidfIndicatorModel:
    """One feature space + multi-label classifier per group ('all' or per language)."""

    labels: list[str]
    mode: str = "per_language"  # or "shared"
    C: float = 4.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2

    def fit(self, texts: Sequence[str], langs: Sequence[str], Y: np.ndarray) -> TfidfIndicatorModel:
        from sklearn.pipeline import Pipeline

        from models.tfidf.estimator import MultiLabelLinearClassifier

        self.pipelines_ = {}
        for group, index in self._groups(langs).items():
            pipeline = Pipeline([
                ("features", _features(self.word_ngrams, self.char_ngrams, self.min_df)),
                ("clf", MultiLabelLinearClassifier(C=self.C)),
            ])
            pipeline.fit([texts[i] for i in index], Y[index])
            self.pipelines_[group] = pipeline
        return self

    def __getstate__(self) -> dict:
        # skops writes a fitted vectorizer's vocabulary as one JSON node per term (tens of
        # MB); keep it as a numpy array of terms in index order instead.
        state = self.__dict__.copy()
        state.pop("_names", None)
        if "pipelines_" in state:
            state["pipelines_"] = copy.deepcopy(state["pipelines_"])
            state["vocabularies_"] = {}
            for group, pipeline in state["pipelines_"].items():
                for name, vectorizer in pipeline.named_steps["features"].transformer_list:
                    vocabulary = vectorizer.__dict__.pop("vocabulary_")
                    terms = np.array(sorted(vocabulary, key=vocabulary.__getitem__))
                    state["vocabularies_"][f"{group}/{name}"] = terms
        return state

    def __setstate__(self, state: dict) -> None:
        vocabularies = state.pop("vocabularies_", {})
        self.__dict__.update(state)
        for key, terms in vocabularies.items():
            group, name = key.split("/")
            vectorizer = dict(self.pipelines_[group].named_steps["features"].transformer_list)[name]
            vectorizer.vocabulary_ = {term: i for i, term in enumerate(terms.tolist())}

    def _groups(self, langs: Sequence[str]) -> dict[str, list[int]]:
        if self.mode == "shared":
            return {"all": list(range(len(langs)))}
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault(lang, []).append(i)
        return groups

    def _pipeline(self, lang: str):
        return self.pipelines_.get("all") or self.pipelines_.get(lang)

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """(n_ads, n_labels) probabilities; rows of languages without a model are 0."""
        out = np.zeros((len(texts), len(self.labels)))
        for group, index in self._groups(langs).items():
            pipeline = self._pipeline(group)
            if pipeline is not None and index:
                out[index] = pipeline.predict_proba([texts[i] for i in index])
        return out

    def _feature_names(self, group: str) -> np.ndarray:
        # Building the names array costs milliseconds: once per group, never persisted.
        cache = self.__dict__.setdefault("_names", {})
        if group not in cache:
            cache[group] = self.pipelines_[group].named_steps["features"].get_feature_names_out()
        return cache[group]

    def evidence(self, text: str, lang: str, labels: Sequence[int], max_phrases: int = 3
                 ) -> dict[int, list[tuple[int, int]]]:
        """Per label, the character spans of `text` behind it: the n-grams with the
        largest positive contribution (tf-idf value x weight), widened to whole words and
        merged into short phrases. Only phrases count (`is_phrase`): a label whose
        n-grams are single or function words gets no span."""
        group = "all" if "all" in self.pipelines_ else lang
        if group not in self.pipelines_ or not labels:
            return {}
        pipeline = self.pipelines_[group]
        row = pipeline.named_steps["features"].transform([text]).tocsr()
        names = self._feature_names(group)
        return {label: label_evidence(text, lang, row, names,
                                      pipeline.named_steps["clf"].coef_[label], max_phrases)
                for label in labels}


def label_evidence(text: str, lang: str, row, names: np.ndarray, coef: np.ndarray,
                   max_phrases: int) -> list[tuple[int, int]]:
    """The spans of `text` behind one label: `row` holds the text's features (`indices`,
    `data`), `names` the feature names and `coef` the label's weights."""
    contrib = row.data * coef[row.indices]
    order = np.argsort(-contrib)
    folded = fold_text(text)
    stop = _stop_words(lang)
    spans: list[tuple[int, int, float]] = []
    top = 0.0
    for j in order[:40]:
        if contrib[j] <= 0 or contrib[j] < 0.2 * top:
            break
        kind, _, gram = names[row.indices[j]].partition("__")
        # Word n-grams read as evidence; character n-grams mostly point at fragments
        # of function words, so they only count when they sit in a content word.
        words = gram.split() if kind == "word" else [gram.strip()]
        if kind == "char" and (len(gram.strip()) < 4 or " " in gram.strip()):
            continue
        if all(w in stop or len(w) < 3 for w in words):
            continue
        for start, end in _occurrences(folded, gram if kind == "word" else gram.strip(), kind):
            start, end = _widen(folded, start, end)
            if folded[start:end] in stop:
                continue
            top = max(top, float(contrib[j]))
            spans.append((start, end, float(contrib[j])))
        if len(spans) >= 8:
            break
    return [(s, e) for s, e in _phrases(text, spans, max_phrases)
            if is_phrase(text[s:e], lang)]


@cache
def _stop_words(lang: str) -> frozenset[str]:
    """Folded function words of a language (spaCy's lists), never evidence on their own."""
    import importlib

    from models.nlp import import_spacy

    import_spacy()  # without torch (seconds)
    try:
        words = importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
    except ModuleNotFoundError:
        return frozenset()
    return frozenset(fold_text(w) for w in words)


def is_phrase(span: str, lang: str) -> bool:
    """Whether a span can stand as evidence: two or more content words (not function
    words, three letters or more). A single word («restaurante») or words like «de la»
    show no indicator to a reviewer."""
    stop = _stop_words(lang)
    words = [w for w in re.findall(r"\w+", fold_text(span)) if len(w) >= 3 and w not in stop]
    return len(words) >= 2


def _occurrences(folded: str, gram: str, kind: str) -> list[tuple[int, int]]:
    if not gram.strip():
        return []
    if kind == "word":
        words = gram.split(" ")
        pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words) + r"(?!\w)"
    else:
        pattern = re.escape(gram)
    return [(m.start(), m.end()) for m in re.finditer(pattern, folded)][:3]


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def _phrases(text: str, spans: list[tuple[int, int, float]], max_phrases: int
             ) -> list[tuple[int, int]]:
    """Merge spans that overlap or are one separator apart; keep the strongest phrases."""
    merged: list[list[float]] = []
    for start, end, weight in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += weight
        else:
            merged.append([start, end, weight])
    best = sorted(merged, key=lambda m: -m[2])[:max_phrases]
    out = []
    for start, end, _ in sorted(best):
        start, end = int(start), int(end)
        while start < end and text[start] in _PUNCT_EDGES:
            start += 1
        while end > start and text[end - 1] in _PUNCT_EDGES:
            end -= 1
        if end > start:
            out.append((start, end))
    return out
