"""The semantic model: a logistic regression per indicator over sentence embeddings.

An ad's probability for an indicator is the highest of its sentences', and the sentence
that gives it is the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpora.normalize import NormalizedText, normalize_text
from models.artifacts import ArtifactError, read_arrays, write_arrays
from models.semantic.encoder import Encoder
from models.semantic.sentences import sentences

FORMAT = "centinela.semantic-linear.v1"


@dataclass
class SemanticModel:
    """What `indicators.semantic.v1` learned: plain arrays, saved as `semantic.json` +
    `semantic.npz` (models saved before as `semantic.skops` still load, through skops)."""

    labels: list[str]
    encoder_id: str
    coef: np.ndarray  # (n_labels, dim)
    intercept: np.ndarray  # (n_labels,)
    thresholds: np.ndarray  # (n_labels,) on ad probabilities, chosen on dev

    def sentence_proba(self, X: np.ndarray) -> np.ndarray:
        """(n_sentences, n_labels) probabilities of embedded sentences."""
        return 1.0 / (1.0 + np.exp(-(X @ self.coef.T + self.intercept)))

    def save(self, folder: Path, stem: str = "semantic") -> None:
        write_arrays(folder, stem, {"format": FORMAT, "labels": self.labels,
                                    "encoder_id": self.encoder_id},
                     {"coef": self.coef, "intercept": self.intercept,
                      "thresholds": self.thresholds}, indent=1)

    @classmethod
    def load(cls, folder: Path, stem: str = "semantic") -> SemanticModel:
        """Read what `save` wrote; an ArtifactError names what is wrong."""
        spec, arrays = read_arrays(folder, stem, FORMAT)
        try:
            model = cls(list(spec["labels"]), str(spec["encoder_id"]), arrays["coef"],
                        arrays["intercept"], arrays["thresholds"])
        except (KeyError, TypeError) as exc:
            raise ArtifactError(f"{folder / stem}.json/.npz: not a semantic model ({exc!r})") \
                from None
        n = len(model.labels)
        if model.coef.ndim != 2 or model.coef.shape[0] != n or \
                model.intercept.shape != (n,) or model.thresholds.shape != (n,):
            raise ArtifactError(f"{folder / stem}.npz: the arrays do not match the "
                                f"{n} labels; retrain with `centinela train`")
        return model


@dataclass
class AdSentences:
    """The sentences of one ad: offsets into the clean text and their probabilities."""

    norm: NormalizedText
    spans: list[tuple[int, int]]
    proba: np.ndarray  # (n_sentences, n_labels)

    def best(self) -> tuple[np.ndarray, np.ndarray]:
        """Per label: the highest sentence probability (0 without sentences) and the index
        of that sentence (-1 without sentences)."""
        if not self.spans:
            return np.zeros(self.proba.shape[1]), np.full(self.proba.shape[1], -1)
        return self.proba.max(axis=0), self.proba.argmax(axis=0)

    def evidence_span(self, index: int) -> tuple[int, int]:
        """Offsets in the exact input text of sentence `index`."""
        return self.norm.to_original(*self.spans[index])


def score_sentences(model: SemanticModel, encoder: Encoder, texts: Sequence[str]
                    ) -> list[AdSentences]:
    """Cut each text into sentences, embed them all in one go and score them."""
    norms = [normalize_text(t) for t in texts]
    spans = [sentences(n.text) for n in norms]
    flat = [n.text[s:e] for n, ss in zip(norms, spans) for s, e in ss]
    P = (model.sentence_proba(encoder.encode(flat)) if flat
         else np.zeros((0, len(model.labels))))
    out, at = [], 0
    for norm, ss in zip(norms, spans):
        out.append(AdSentences(norm, ss, P[at:at + len(ss)]))
        at += len(ss)
    return out


def ad_proba(scored: Sequence[AdSentences], n_labels: int) -> np.ndarray:
    """(n_ads, n_labels): each ad's highest sentence probability per label."""
    out = np.zeros((len(scored), n_labels))
    for i, ad in enumerate(scored):
        if ad.spans:
            out[i] = ad.proba.max(axis=0)
    return out
