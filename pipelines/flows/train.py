"""Prefect flow `train-indicators`: fit and register the trained detectors."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task


@task(name="fit-and-register")
def fit_and_register(home: str):
    """One call into the library: fit on train, tune on dev, register the artifacts."""
    from models.artifacts import models_root
    from models.ensemble.store import train_default_models

    logger = get_run_logger()
    return train_default_models(models_root(Path(home)), report=logger.info)


@flow(name="train-indicators")
def train_indicators(home: str):
    """Fit `indicators.tfidf.v1` and `indicators.ensemble.v1` on the corpus's train split,
    choose thresholds on dev, register both, and return the ensemble artifact."""
    artifact = fit_and_register(home)
    get_run_logger().info("registered %s (dev macro-F1 %.3f)", artifact.path,
                          artifact.meta.metrics["dev_macro_f1_ensemble"])
    return artifact
