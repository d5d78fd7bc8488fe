"""Fine-tune a local encoder checkpoint on labelled ads and register the result.

`fit_transformer` returns a fitted `TransformerClassifier`; `save_transformer` registers it
as an artifact named `indicators.transformer`; `train_transformer_from_corpus` does both
and is what `centinela train --transformer CHECKPOINT` calls.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpora.normalize import normalize_text
from corpora.records import LabelledAd
from corpora.taxonomy import Taxonomy, load_taxonomy
from models.artifacts import Artifact, hash_training_data, models_root, new_version, save_artifact
from models.thresholds import choose_thresholds, f1_at
from models.transformer.classifier import CheckpointError, TransformerClassifier

ARTIFACT_NAME = "indicators.transformer"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hyperparameters:
    """Fine-tuning settings; every field is a `centinela train --transformer` option."""

    epochs: int = 4
    batch_size: int = 16
    lr: float = 3e-5
    max_length: int = 256
    seed: int = 0
    device: str = "auto"
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_pos_weight: float = 10.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.max_length < 8:
            raise ValueError(f"invalid hyperparameters: {self}")


@dataclass
class TrainingLog:
    """What happened during `fit_transformer`: mean loss per epoch, loss per step, and
    per-indicator dev metrics at the chosen thresholds (when a dev split was given)."""

    hyperparameters: dict[str, Any]
    n_train: int
    n_dev: int
    epoch_loss: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    dev: dict[str, Any] = field(default_factory=dict)


def targets(ads: Sequence[LabelledAd], labels: tuple[str, ...]) -> np.ndarray:
    """0/1 matrix (ads, labels) of gold indicators."""
    column = {label: k for k, label in enumerate(labels)}
    y = np.zeros((len(ads), len(labels)), dtype=np.float32)
    for row, ad in enumerate(ads):
        for indicator in ad.indicators:
            y[row, column[indicator]] = 1.0
    return y


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _optimizer(model: Any, hyper: Hyperparameters, n_train: int) -> tuple[Any, Any]:
    """AdamW (no decay on biases and norms) and a linear warm-up then decay schedule."""
    import torch

    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": hyper.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=hyper.lr)
    steps = hyper.epochs * math.ceil(n_train / hyper.batch_size)
    warmup = int(steps * hyper.warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _check_ads(ads: Sequence[LabelledAd], taxonomy: Taxonomy, where: str) -> None:
    for ad in ads:
        taxonomy.check_ids(ad.indicators, f"{where} ad {ad.id}")


_H = Hyperparameters


def fit_transformer(checkpoint: str | Path, train: Sequence[LabelledAd],
                    dev: Sequence[LabelledAd] | None = None, *, epochs: int = _H.epochs,
                    batch_size: int = _H.batch_size, lr: float = _H.lr,
                    max_length: int = _H.max_length, seed: int = _H.seed,
                    device: str = _H.device, taxonomy: Taxonomy | None = None,
                    **extra: Any) -> TransformerClassifier:
    """Fine-tune the encoder in the local folder `checkpoint` with one sigmoid per
    taxonomy indicator (label order = taxonomy order) on `train`; pick per-indicator
    thresholds on `dev` when given. The returned classifier has a `training_log` (TrainingLog).
    """
    import torch

    hyper = Hyperparameters(epochs=epochs, batch_size=batch_size, lr=lr, max_length=max_length,
                            seed=seed, device=device, **extra)
    taxonomy = taxonomy or load_taxonomy()
    labels = taxonomy.ids
    if not train:
        raise ValueError("no training ads: a transformer needs labelled ads to learn from")
    _check_ads(train, taxonomy, "train")
    _check_ads(dev or [], taxonomy, "dev")
    _seed_everything(hyper.seed)  # before loading: the new head's weights come from it
    classifier = TransformerClassifier.from_checkpoint(checkpoint, labels,
                                                       max_length=hyper.max_length,
                                                       device=hyper.device)
    model, run_on = classifier.model, classifier.device
    texts = [normalize_text(ad.text).text for ad in train]
    y = torch.tensor(targets(train, labels), device=run_on)
    positives = y.sum(0)
    pos_weight = ((len(train) - positives) / positives.clamp(min=1)).clamp(1, hyper.max_pos_weight)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)

    optimizer, schedule = _optimizer(model, hyper, len(train))
    bf16 = run_on.startswith("cuda") and torch.cuda.is_bf16_supported()
    generator = torch.Generator().manual_seed(hyper.seed)
    training = TrainingLog(hyperparameters=asdict(hyper), n_train=len(train), n_dev=len(dev or []))

    model.train()
    for epoch in range(hyper.epochs):
        order = torch.randperm(len(train), generator=generator).tolist()
        losses = []
        for start in range(0, len(order), hyper.batch_size):
            rows = order[start:start + hyper.batch_size]
            batch = classifier.encode([texts[i] for i in rows])
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=bf16):
                logits = model(**batch).logits
            loss = loss_fn(logits.float(), y[rows])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
        training.step_loss.extend(round(v, 6) for v in losses)
        training.epoch_loss.append(round(float(np.mean(losses)), 6))
        log.info("epoch %d/%d: mean loss %.4f", epoch + 1, hyper.epochs, training.epoch_loss[-1])
    model.eval()

    if dev:
        probs = classifier.predict_proba([normalize_text(ad.text).text for ad in dev],
                                         batch_size=hyper.batch_size)
        y_dev = targets(dev, labels)
        thresholds, f1s = choose_thresholds(probs, y_dev)
        classifier.thresholds = tuple(thresholds)
        # Micro F1 at each label's own threshold: shift every column so it sits at 0.
        training.dev = {"micro_f1": round(f1_at(probs - np.asarray(thresholds), y_dev, 0.0), 4),
                        "f1": dict(zip(labels, f1s)),
                        "support": {label: int(n) for label, n in zip(labels, y_dev.sum(0))}}
    classifier.training_log = training
    return classifier


def save_transformer(classifier: TransformerClassifier, home: str | Path, *,
                     training_data_sha256: str, version: str | None = None) -> Artifact:
    """Register `classifier` under `<home>/models/indicators.transformer/<version>/`."""
    training: TrainingLog | None = classifier.training_log
    metrics: dict[str, Any] = {}
    config: dict[str, Any] = classifier.config()
    if training is not None:
        metrics = {"epoch_loss": training.epoch_loss, "dev": training.dev}
        config = {**config, "hyperparameters": training.hyperparameters,
                  "n_train": training.n_train, "n_dev": training.n_dev}
    return save_artifact(models_root(Path(home)), ARTIFACT_NAME, version or new_version(),
                         classifier.save, training_data_sha256=training_data_sha256,
                         metrics=metrics, config=config)


def train_transformer_from_corpus(checkpoint: str | Path, ads_train: Sequence[LabelledAd],
                                  ads_dev: Sequence[LabelledAd] | None, home: str | Path,
                                  **hyper: Any) -> Artifact:
    """Fine-tune `checkpoint` on `ads_train`, choose thresholds on `ads_dev`, and register
    the model in `home`; returns the artifact (its meta holds the dev metrics).

    `hyper`: epochs, batch_size, lr, max_length, seed, device, weight_decay, warmup_ratio,
    max_pos_weight (see Hyperparameters).
    """
    unknown = set(hyper) - set(Hyperparameters.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown transformer training options {sorted(unknown)}; "
                        f"known: {sorted(Hyperparameters.__dataclass_fields__)}")
    if not Path(checkpoint).is_dir():
        raise CheckpointError(f"{checkpoint}: checkpoint folder does not exist. Download an "
                              "encoder beforehand (e.g. xlm-roberta-base) and pass its folder.")
    classifier = fit_transformer(checkpoint, list(ads_train), list(ads_dev or []) or None, **hyper)
    return save_transformer(classifier, home,
                            training_data_sha256=hash_training_data(ads_train, ads_dev))
