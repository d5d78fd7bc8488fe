"""`indicators.tfidf.v1`: the TF-IDF model alone, loaded from its registered artifact."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.normalize import NormalizedText, normalize_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifact_registry import find_artifact
from models.artifacts import Artifact, ArtifactError, load_skops, models_root
from models.detector import Detector
from models.risk import load_risk_policy
from models.tfidf.linear import LinearTfidfModel, Row

NAME = "indicators.tfidf"
VERSION = "1"
SKOPS_FILE = "tfidf.skops"  # how TF-IDF models were saved before the arrays format


def load_tfidf_model(artifact: Artifact) -> LinearTfidfModel:
    """The TF-IDF model of a registered artifact (tfidf.json + tfidf.npz); one saved
    before that format (tfidf.skops) loads through skops (slower)."""
    if artifact.file("tfidf.json").is_file():
        return LinearTfidfModel.load(artifact.path)
    if artifact.file(SKOPS_FILE).is_file():
        return LinearTfidfModel.from_fitted(load_skops(artifact.file(SKOPS_FILE)))
    raise ArtifactError(f"{artifact.path}: no TF-IDF model files; retrain with "
                        "`centinela train`")


def tfidf_evidence(tfidf: LinearTfidfModel, ad: Ad, norm: NormalizedText,
                   labels: Sequence[int], row: Row | None = None
                   ) -> dict[int, list[Evidence]]:
    """Evidence per label from the TF-IDF model, as exact spans of `ad.text` (`norm` is
    its normalised text, `row` its features when already computed)."""
    if not labels:
        return {}
    return {label: [Evidence.from_text(ad.text, *norm.to_original(s, e)) for s, e in spans]
            for label, spans in tfidf.evidence(norm.text, ad.lang, labels, row=row).items()}


class TfidfDetector(Detector):
    """`indicators.tfidf.v1` alone: calibrated probabilities, dev thresholds, n-gram
    evidence; risk from the shared strength-based policy."""

    def __init__(self, tfidf: LinearTfidfModel, thresholds: dict[str, float],
                 artifact_sha256: str, taxonomy: Taxonomy):
        self.tfidf = tfidf
        self.thresholds = np.array([thresholds[label] for label in tfidf.labels])
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        self._ref = ModelRef(name=NAME, version=VERSION, sha256=artifact_sha256)

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        norms = [normalize_text(ad.text) for ad in ads]
        texts, langs = [norm.text for norm in norms], [ad.lang for ad in ads]
        rows = self.tfidf.rows(texts, langs)
        P = self.tfidf.predict_proba(texts, langs, rows)
        out = []
        for i, ad in enumerate(ads):
            found = [] if ad.lang == "und" else list(np.where(P[i] >= self.thresholds)[0])
            evidence = tfidf_evidence(self.tfidf, ad, norms[i], found, rows[i])
            out.append([
                IndicatorHit(id=self.tfidf.labels[k], score=round(float(P[i, k]), 4),
                             strength=self.taxonomy.get(self.tfidf.labels[k]).strength,
                             evidence=evidence[k], detector=f"{NAME}.v{VERSION}")
                for k in found
            ])
        return out


def build_tfidf_detector(home: Path, artifact: Path | None = None) -> TfidfDetector:
    """Factory for `indicators.tfidf.v1` (run `centinela train` first; loading never
    trains)."""
    found = find_artifact(NAME, models_root(home), artifact)
    return TfidfDetector(load_tfidf_model(found), found.meta.config["thresholds"],
                         found.meta.sha256, load_taxonomy())
