"""`indicators.tfidf.v1`: the TF-IDF model alone, loaded from its registered artifact."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.normalize import normalize_text
from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifact_registry import find_artifact
from models.artifacts import Artifact, load_skops, models_root
from models.detector import Detector
from models.risk import load_risk_policy

NAME = "indicators.tfidf"
VERSION = "1"
MODEL_FILE = "tfidf.skops"


def load_tfidf_model(artifact: Artifact):
    return load_skops(artifact.file(MODEL_FILE))


def tfidf_evidence(tfidf, ad: Ad, labels: Sequence[int]) -> dict[int, list[Evidence]]:
    """Evidence per label from the TF-IDF model, as exact spans of `ad.text`."""
    if not labels:
        return {}
    norm = normalize_text(ad.text)
    return {label: [Evidence.from_text(ad.text, *norm.to_original(s, e)) for s, e in spans]
            for label, spans in tfidf.evidence(norm.text, ad.lang, labels).items()}


class TfidfDetector(Detector):
    """`indicators.tfidf.v1` alone: calibrated probabilities, dev thresholds, n-gram
    evidence; risk from the shared strength-based policy."""

    def __init__(self, tfidf, thresholds: dict[str, float], artifact_sha256: str,
                 taxonomy: Taxonomy):
        self.tfidf = tfidf
        self.thresholds = np.array([thresholds[label] for label in tfidf.labels])
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        self._ref = ModelRef(name=NAME, version=VERSION, sha256=artifact_sha256)

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        texts = [normalize_text(ad.text).text for ad in ads]
        P = self.tfidf.predict_proba(texts, [ad.lang for ad in ads])
        out = []
        for i, ad in enumerate(ads):
            found = [] if ad.lang == "und" else list(np.where(P[i] >= self.thresholds)[0])
            evidence = tfidf_evidence(self.tfidf, ad, found)
            out.append([
                IndicatorHit(id=self.tfidf.labels[k], score=round(float(P[i, k]), 4),
                             strength=self.taxonomy.get(self.tfidf.labels[k]).strength,
                             evidence=evidence[k], detector=f"{NAME}.v{VERSION}")
                for k in found
            ])
        return out


def build_tfidf_detector(home: Path | None = None, artifact: Path | None = None) -> TfidfDetector:
    """Factory for `indicators.tfidf.v1` (run `centinela train` first; loading never
    trains)."""
    found = find_artifact(NAME, models_root(home), artifact)
    return TfidfDetector(load_tfidf_model(found), found.meta.config["thresholds"],
                         found.meta.sha256, load_taxonomy())
