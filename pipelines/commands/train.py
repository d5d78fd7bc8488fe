"""`centinela train`: fit the trained detectors from the seed corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Settings


def train(
    transformer: Annotated[Path | None, typer.Option(
        "--transformer", exists=True, file_okay=False,
        help="Also fine-tune indicators.transformer.v1 from this LOCAL encoder checkpoint "
             "folder (e.g. an XLM-R or BERTimbau you downloaded). Needs the `transformer` "
             "extra; a GPU is used when available.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Transformer epochs.")] = 4,
    batch_size: Annotated[int, typer.Option(min=1, help="Transformer batch size.")] = 16,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Do nothing when an ensemble is already registered.")] = False,
    flow: Annotated[bool, typer.Option(
        "--flow", help="Run through the Prefect flow `train-indicators` (visible in the "
                       "Prefect UI) instead of directly.")] = False,
) -> None:
    """Fit `indicators.tfidf.v1` and `indicators.ensemble.v1` on the corpus's train split,
    choose thresholds on the dev split, and register both as artifacts (skops files with
    sha256) under CENTINELA_HOME/models. The test split is never used.

    Takes about a minute on a laptop CPU. Prints the dev-split figures of the rules alone,
    TF-IDF alone (both the shared and the per-language variant) and the ensemble.
    """
    from rich.console import Console
    from rich.table import Table

    from models.artifacts import models_root

    settings = Settings.from_env()
    console = Console(stderr=True)
    if if_missing and transformer is None:
        from models.artifacts import latest_artifact
        from models.ensemble.store import ENSEMBLE_NAME

        existing = latest_artifact(models_root(settings.home), ENSEMBLE_NAME)
        if existing is not None:
            console.print(f"an ensemble is already registered: {existing.path}")
            return
    from corpora.corpus import CorpusError

    try:
        if flow:
            from pipelines.flows.train import train_indicators
            from pipelines.prefect_env import local_prefect

            with local_prefect():
                artifact = train_indicators(home=str(settings.home))
        else:
            from models.ensemble.store import train_default_models

            with console.status("training") as status:
                artifact = train_default_models(models_root(settings.home),
                                                report=lambda message: status.update(message))
    except CorpusError as exc:  # names the file, the line and the cause: no traceback
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    metrics = artifact.meta.metrics
    table = Table(title=f"indicators.ensemble registered: {artifact.path}")
    table.add_column("dev split (never test)")
    table.add_column("macro-F1", justify="right")
    table.add_row("rules alone (indicators.rules.v1)", f"{metrics['dev_macro_f1_rules']:.3f}")
    for mode, figures in metrics["modes"].items():
        table.add_row(f"TF-IDF {mode}, tuned thresholds", f"{figures['dev_macro_f1_tuned']:.3f}")
    table.add_row(f"ensemble (TF-IDF {metrics['mode']} + rules)",
                  f"{metrics['dev_macro_f1_ensemble']:.3f}")
    Console().print(table)
    Console().print(f"risk thresholds: high >= {metrics['risk_thresholds']['high']:.2f}, "
                    f"medium >= {metrics['risk_thresholds']['medium']:.2f}; "
                    f"model sha256 {artifact.meta.sha256}")
    if transformer is not None:
        from corpora.corpus import load_corpus, read_splits
        from models.transformer.training import train_transformer_from_corpus

        ads = {ad.id: ad for ad in load_corpus().ads}
        splits = read_splits().ids
        with console.status("fine-tuning the transformer"):
            done = train_transformer_from_corpus(
                transformer, [ads[i] for i in splits["train"]], [ads[i] for i in splits["dev"]],
                settings.home, epochs=epochs, batch_size=batch_size)
        Console().print(f"indicators.transformer registered: {done.path}")
