"""`indicators.transformer.v1`: batched inference of a registered transformer artifact.

Texts are normalised (corpora.normalize) and cut into overlapping windows of the model's
`max_length`; an ad's probability per indicator is its highest over windows. For every
indicator found, gradient x input on the best window picks the words that pushed it up;
their spans are mapped back to the exact input text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.normalize import NormalizedText, normalize_text
from corpora.records import SUPPORTED_LANGS, Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from models.artifact_registry import ModelRegistry
from models.artifacts import Artifact, ArtifactError, load_artifact, models_root
from models.detector import Detector
from models.risk import RiskPolicy, load_risk_policy
from models.transformer.attribution import phrase_spans, token_attributions
from models.transformer.classifier import TransformerClassifier
from models.transformer.training import ARTIFACT_NAME

VERSION = "1"
DETECTOR_NAME = f"{ARTIFACT_NAME}.v{VERSION}"
HOW_TO_TRAIN = ("train one with `centinela train --transformer CHECKPOINT`, where CHECKPOINT "
                "is the folder of an encoder you downloaded beforehand (e.g. xlm-roberta-base); "
                "see models/transformer/README.md")


class NoTransformerModelError(ArtifactError):
    """No usable transformer artifact was found; the message says how to get one."""


def find_transformer_artifact(artifact: str | Path | None = None, *,
                              home: str | Path | None = None) -> Artifact:
    """The artifact at `artifact`, or the latest one registered under `home`; verified."""
    if artifact is not None:
        path = Path(artifact)
        if not (path / "meta.json").is_file():
            problem = "does not exist" if not path.exists() else "is not a model artifact folder"
            raise NoTransformerModelError(
                f"{path}: {problem} (expected <home>/models/{ARTIFACT_NAME}/<version>/ with a "
                f"meta.json); {HOW_TO_TRAIN}")
        found = load_artifact(path)
    elif home is None:
        raise NoTransformerModelError("give the artifact folder or the Centinela home "
                                      f"to find it in; {HOW_TO_TRAIN}")
    else:
        root = models_root(Path(home))
        found = ModelRegistry(root).default_artifact(ARTIFACT_NAME)
        if found is None:
            raise NoTransformerModelError(
                f"no transformer model registered in {root / ARTIFACT_NAME}; {HOW_TO_TRAIN}")
    if found.meta.name != ARTIFACT_NAME:
        raise ArtifactError(f"{found.path}: a {found.meta.name!r} artifact, not {ARTIFACT_NAME!r}")
    return found


class TransformerDetector(Detector):
    """`indicators.transformer.v1`: a fine-tuned encoder, evidence from attributions."""

    def __init__(self, classifier: TransformerClassifier, artifact: Artifact,
                 taxonomy: Taxonomy, risk_policy: RiskPolicy, *, batch_size: int = 32,
                 top_words: int = 3):
        try:
            taxonomy.check_ids(list(classifier.labels), str(artifact.path))
        except TaxonomyError as exc:
            raise ArtifactError(f"{exc}; the taxonomy changed since this model was trained, "
                                "retrain it") from exc
        self.classifier = classifier
        self.artifact = artifact
        self.taxonomy = taxonomy
        self.risk_policy = risk_policy
        self.batch_size = batch_size
        self.top_words = top_words
        self._ref = ModelRef(name=ARTIFACT_NAME, version=VERSION, sha256=artifact.meta.sha256)
        order = {indicator: n for n, indicator in enumerate(taxonomy.ids)}
        self._label_order = sorted(range(len(classifier.labels)),
                                   key=lambda k: order[classifier.labels[k]])

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        results: list[list[IndicatorHit]] = [[] for _ in ads]
        cleaned = {i: normalize_text(ad.text) for i, ad in enumerate(ads)
                   if ad.lang in SUPPORTED_LANGS}
        index = [i for i, norm in cleaned.items() if norm.text.strip()]
        chunk_size = self.batch_size * 8  # bounds the windows and attributions held at once
        for start in range(0, len(index), chunk_size):
            chunk = index[start:start + chunk_size]
            for i, hits in zip(chunk, self._detect([ads[i].text for i in chunk],
                                                   [cleaned[i] for i in chunk])):
                results[i] = hits
        return results

    def _detect(self, texts: list[str], norms: list[NormalizedText]) -> list[list[IndicatorHit]]:
        classifier = self.classifier
        windows = classifier.tokenize_windows([norm.text for norm in norms])
        probs, best = classifier.predict_windows(windows, len(norms), self.batch_size)
        found = [(t, k) for t in range(len(norms)) for k in self._label_order
                 if probs[t, k] >= classifier.thresholds[k]]
        pairs = [(int(best[t, k]), k) for t, k in found]
        scores = token_attributions(classifier, windows, pairs, self.batch_size)
        hits: list[list[IndicatorHit]] = [[] for _ in norms]
        for (t, k), (w, _), token_scores in zip(found, pairs, scores):
            spans = phrase_spans(norms[t].text, token_scores, windows.offsets[w],
                                 windows.word_ids[w], self.top_words)
            indicator = classifier.labels[k]
            hits[t].append(IndicatorHit(
                id=indicator, score=float(np.clip(probs[t, k], 0.0, 1.0)),
                strength=self.taxonomy.get(indicator).strength,
                evidence=self._evidence(texts[t], norms[t], spans), detector=DETECTOR_NAME,
            ))
        return hits

    @staticmethod
    def _evidence(text: str, norm: NormalizedText,
                  spans: list[tuple[int, int]]) -> list[Evidence]:
        """Clean-text spans as evidence in the exact input text, in text order."""
        original = sorted({norm.to_original(start, end) for start, end in spans})
        return [Evidence.from_text(text, start, end) for start, end in original if end > start]


def build_transformer_detector(artifact: str | Path | None = None, *,
                               home: str | Path | None = None, device: str = "auto",
                               batch_size: int = 32) -> TransformerDetector:
    """Factory registered as `indicators.transformer.v1`.

    `artifact`: an artifact folder; by default the latest one registered under
    `<home>/models/indicators.transformer/` (`home`: the settings' home). Its files are
    checked against their sha256 before loading.
    """
    found = find_transformer_artifact(artifact, home=home)
    classifier = TransformerClassifier.load(found.path, device=device)
    return TransformerDetector(classifier, found, load_taxonomy(), load_risk_policy(),
                               batch_size=batch_size)
