"""Register a trained ensemble (and its TF-IDF part) as artifacts, and load them back."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.artifacts import Artifact, new_version, save_artifact
from models.ensemble.detector import NAME, SEMANTIC_NAME, SEMANTIC_VERSION, VERSION
from models.ensemble.train import TrainingResult
from models.ensemble.weights import EnsembleWeights
from models.tfidf.detector import NAME as TFIDF_NAME

# The rules version the ensemble is trained with (a trained ensemble loads the version it
# was trained with). Versions 2 and 3 add the vocabulary of real offers and of retold
# offers (patterns/vocabulary/); their hits are features of the per-indicator combiner
# apart from the base patterns' hits (models/ensemble/combine.py), so the combiner learns
# how far to trust each.
TRAINING_RULES_VERSION = "3"


def register_trained(result: TrainingResult, root: Path,
                     manifest: Sequence[Mapping[str, Any]] | None = None
                     ) -> tuple[Artifact, Artifact]:
    """Save the ensemble and the TF-IDF model as two artifacts under `root`, as plain
    arrays (models/ensemble/weights.py). `manifest` (one JSON object per training row: id,
    provenance, labels, text hash; no ad text) is kept with the ensemble as
    `training.jsonl`."""
    tag = new_version()
    weights = EnsembleWeights.from_model(result.model)

    def write_ensemble(folder: Path) -> None:
        weights.save(folder)
        if manifest is not None:
            (folder / "training.jsonl").write_text("".join(
                json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in manifest),
                encoding="utf-8")

    ensemble = save_artifact(
        root, NAME, tag, write_ensemble,
        training_data_sha256=result.data_sha256, metrics=result.metrics,
        config={"version": VERSION, "rules_sha256": result.model.rules_sha256,
                "rules_version": result.model.rules_version},
    )
    tfidf = save_artifact(
        root, TFIDF_NAME, tag, weights.tfidf.select(result.model.labels).save,
        training_data_sha256=result.data_sha256,
        metrics={"dev_macro_f1": result.metrics.get("dev_macro_f1_tfidf"),
                 "mode": result.metrics.get("mode")},
        config={"version": VERSION,
                "thresholds": dict(zip(result.model.labels,
                                       map(float, result.model.tfidf_thresholds)))},
    )
    return ensemble, tfidf


def train_semantic_models(result: TrainingResult, train, dev, root: Path, report,
                          tag: str | None = None) -> Artifact:
    """Fit `indicators.semantic.v1` and `indicators.ensemble.v2` on top of a trained v1
    (`result`), register both and return the v2 artifact. With `tag`, the v1 artifact's
    version: the three then share it and move together in the model registry (promoting
    or rolling back v1 carries v2). Sentence embeddings are kept in the home's cache
    folder, so training again embeds only new sentences."""
    from models.artifacts import cache_root
    from models.ensemble.semantic import train_semantic_ensemble
    from models.semantic.detector import register_semantic
    from models.semantic.encoder import cached_encoder

    with cached_encoder(cache_root(Path(root).parent)) as encoder:
        model, semantic, metrics = train_semantic_ensemble(result, train, dev, encoder,
                                                           report=report)
    tag = tag or new_version()
    register_semantic(semantic, root, result.data_sha256, {
        key: metrics[key] for key in ("dev_macro_f1_semantic", "train_sentences", "C",
                                      "semantic_thresholds")},
        version=tag)
    return save_artifact(
        root, SEMANTIC_NAME, tag,
        EnsembleWeights.from_model(model).save,
        training_data_sha256=result.data_sha256, metrics={**result.metrics, **metrics},
        config={"version": SEMANTIC_VERSION, "rules_sha256": model.rules_sha256,
                "encoder": semantic.encoder_id, "gate": model.gate})
