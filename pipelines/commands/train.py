"""`centinela train`: retrain the ensemble and promote it only through the gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.commands.database import DB_HELP
from pipelines.settings import Settings

if TYPE_CHECKING:
    from evaluation.retrain import RetrainResult


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
                       "Prefect UI, with the report as an artifact) instead of directly.")
    ] = False,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help=DB_HELP)] = None,
) -> None:
    """Retrain `indicators.ensemble` and promote it only if it beats the default.

    Learns from the corpus's train split plus the labels people gave in the store
    (adjudicated or agreed trainer labels, review decisions), except a review sample held
    out by ad id; chooses thresholds on the dev split. With the `semantic` extra (which
    `make run` installs) it also fits `indicators.ensemble.v2`, the default detector, on
    top (sentence embeddings, kept in CENTINELA_HOME/cache). Then scores the new model and
    the default on each wave's test split and the review sample, registers the new one,
    and makes it the default only if it is no worse on any language and indicator group
    and better overall (see evaluation/promotion.py); v2 moves with it. Writes an HTML and
    a JSON report to CENTINELA_HOME/reports. `centinela models list|promote|rollback`
    manage the result.

    Takes two to five minutes on a laptop CPU (the first time, while the corpus's
    sentences are embedded, the longest).
    """
    from rich.console import Console

    from pipelines.commands.database import open_cli_store

    settings = Settings.from_env()
    console = Console(stderr=True)
    if if_missing and transformer is None:
        from evaluation.retrain import default_model

        existing = default_model(settings.home)
        if existing is not None and _has_default_detector(settings):
            console.print(f"an ensemble is already registered: {existing.path}")
            return
    from corpora.corpus import CorpusError

    db_url = db or settings.db_url
    try:
        if flow:
            from pydantic import SecretStr

            from pipelines.flows.train import train_indicators
            from pipelines.prefect_env import local_prefect

            with local_prefect():
                result = train_indicators(home=str(settings.home), db_url=SecretStr(db_url))
        else:
            from evaluation.retrain import retrain

            with open_cli_store(db_url, writable=True) as store, \
                    console.status("training") as status:
                result = retrain(store, settings.home,
                                 report=lambda message: status.update(message))
    except CorpusError as exc:  # names the file, the line and the cause: no traceback
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    _print_result(result)
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


def _has_default_detector(settings: Settings) -> bool:
    """Whether the detector that detect and scan load (CENTINELA_MODEL) is trained."""
    from models.artifacts import ArtifactError
    from models.registry import load_detector

    try:
        load_detector(settings.model, home=settings.home)
    except ArtifactError:
        return False
    return True


def _print_result(result: RetrainResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from evaluation.promotion import comparison_rows, judged_line

    report = result.report.report
    verdict = report["verdict"]
    table = Table(title=f"{report['model']} {report['candidate']} (candidate) vs "
                        f"{report['default'] or 'no default'}: micro-F1 on held-out sets")
    for column in ("set", "lang", "gold", "candidate", "default"):
        table.add_column(column, justify="left" if column in ("set", "lang") else "right")
    for row in comparison_rows(report):
        table.add_row(row["set"], row["lang"], str(row.get("support", "")),
                      *("–" if row[k] is None else f"{row[k]:.3f}"
                        for k in ("candidate", "default")))
    console = Console()
    console.print(table)
    metrics = result.candidate.meta.metrics
    console.print(f"dev macro-F1 of the candidate: rules alone "
                  f"{metrics['dev_macro_f1_rules']:.3f}, ensemble "
                  f"{metrics['dev_macro_f1_ensemble']:.3f}; trained on "
                  + ", ".join(f"{n} {s}" for s, n in report["training"]["by_source"].items()))
    console.print(judged_line(report))
    console.print(("PROMOTED to default: " if result.promoted else "REFUSED (the default "
                   "stays): ") + verdict["reason"])
    for worse in verdict["worse"]:
        console.print(f"  worse: {worse}")
    console.print(f"report: {result.report.html_path}")
