"""`centinela evaluate`: a detector and the baselines on a corpus split, as a report."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corpora.corpus import SEED_DIR
from pipelines.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from rich.console import Console


class SplitName(str, Enum):
    dev = "dev"
    test = "test"


def evaluate(
    model: Annotated[str | None, typer.Option(
        "--model", help="Registered detector to evaluate (default: CENTINELA_MODEL or "
                        f"{DEFAULT_MODEL}).")] = None,
    split: Annotated[SplitName, typer.Option(
        "--split", help="dev (default: for every choice) or test (final reporting only).")]
        = SplitName.dev,
    out: Annotated[Path | None, typer.Option(
        "--out", file_okay=False, metavar="DIR",
        help="Folder for the reports (default: CENTINELA_HOME/reports).")] = None,
    real_ads: Annotated[Path | None, typer.Option(
        "--real-ads", exists=True, file_okay=False, metavar="PATH",
        help="Folder of real ordinary ads (*.jsonl) for false-alarm rates (default: "
             "../shared/data/real-ads beside the project, skipped when absent).")] = None,
    limit_real: Annotated[int, typer.Option(
        "--limit-real", min=0, metavar="N",
        help="At most N real ads per file, a seeded sample (0 = all).")] = 2000,
    baselines: Annotated[bool, typer.Option(
        "--baselines/--no-baselines",
        help="Also evaluate indicators.rules.v1 and the plain keyword list.")] = True,
    root: Annotated[Path, typer.Option(
        "--root", file_okay=False, help="Corpus folder holding ads/*.jsonl.")] = SEED_DIR,
    splits: Annotated[Path | None, typer.Option(
        "--splits", dir_okay=False, help="Splits file (default: ROOT/splits.json).")] = None,
    wave: Annotated[str | None, typer.Option(
        "--wave", metavar="N",
        help="Only the ads of this writing wave of the split (e.g. 1 or 2: each wave has "
             "its own test split).")] = None,
    gold: Annotated[list[Path] | None, typer.Option(
        "--gold", exists=True, dir_okay=False, metavar="PATH",
        help="Evaluate on this JSONL file of labelled texts in the corpus schema instead of "
             "a split (repeat for several files; extra fields such as source_url, quote, "
             "note are ignored).")] = None,
    by: Annotated[list[str] | None, typer.Option(
        "--by", metavar="FIELD",
        help="Also split the figures by this string field of the records, e.g. quote, lang, "
             "country; for the corpus also wave and batch (repeatable).")] = None,
    flow: Annotated[bool, typer.Option(
        "--flow", help="Run as the Prefect flow `evaluate-detectors` (publishes the summary "
                       "as a Prefect artifact).")] = False,
    allow_missing: Annotated[bool, typer.Option(
        "--allow-missing", help="Exit 0 even when some ads of the split could not be read "
                                "and only the others were scored (the reports say so).")]
        = False,
) -> None:
    """Measure a detector against the labelled corpus and real ordinary ads.

    Runs the detector (and, unless --no-baselines, the rules detector and a plain keyword
    list) on a split of the labelled corpus and reports: precision, recall and F1 per
    indicator and language, micro and macro F1, gold-vs-predicted risk confusion,
    average precision and precision@k for high-risk ads (k = 10% of ads, 10, 20, 50),
    calibration (reliability bins, ECE), evidence-span overlap, and the share of real
    ordinary ads rated high or medium (false alarms).

    With --gold, the labelled texts of those files replace the split. Every report gives,
    of the gold-high texts, the share flagged (medium or high) and the share rated high;
    --by splits these and the headline figures by a field.

    Writes a JSON file and a self-contained HTML page (open it in any browser, offline)
    and prints the summary table. Use the dev split for every choice; --split test is
    for final reporting only. When some ads of the split cannot be read (a corpus file
    missing, empty or cut short), the others are scored, the console and the HTML page say
    so, and the exit code is 1 unless --allow-missing.
    """
    from rich.console import Console

    from corpora.corpus import CorpusError
    from evaluation.report import (
        DEFAULT_REAL_ADS,
        KEYWORD_BASELINE,
        TEST_SPLIT_WARNING,
        run_evaluation,
    )
    from models.artifacts import ArtifactError
    from models.registry import UnknownDetectorError, available_detectors

    settings = Settings.from_env()
    model_name = model or settings.model
    if model_name not in [*available_detectors(settings.home), KEYWORD_BASELINE]:
        raise typer.BadParameter(str(UnknownDetectorError(model_name)), param_hint="--model")
    if split is SplitName.test and not gold:
        typer.secho(f"Warning: {TEST_SPLIT_WARNING}", err=True, fg="yellow")
    options: dict[str, Any] = {
        "model": model_name, "split": split.value, "out_dir": out or settings.home / "reports",
        "corpus_root": root, "splits_path": splits, "wave": wave,
        "real_ads_dir": real_ads or DEFAULT_REAL_ADS, "limit_real": limit_real,
        "baselines": baselines, "gold": list(gold or []), "by": list(by or []),
        "home": settings.home}
    try:
        if flow:
            from pipelines.prefect_env import local_prefect
            from pipelines.flows.evaluate import evaluate_detectors

            with local_prefect():
                files = evaluate_detectors(**options)
        else:
            files = run_evaluation(**options)
    except CorpusError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ArtifactError as exc:  # no trained model yet, or a damaged one
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    print_summary(files.report, console)
    console.print(f"HTML report: {files.html_path}\nJSON report: {files.json_path}\n"
                  f"Model card: {files.card_path}",
                    soft_wrap=True, highlight=False)
    if incomplete := files.report["corpus"].get("incomplete"):
        typer.secho(f"Warning: {incomplete}", err=True, fg="red")
        if not allow_missing:
            typer.echo("Error: the figures cover part of the split only; fix the corpus, or "
                       "pass --allow-missing to accept them", err=True)
            raise typer.Exit(1)


def print_summary(report: dict[str, Any], console: Console) -> None:
    """The summary table of a report, and why real ads were skipped if they were."""
    from rich.table import Table

    from evaluation.summary import BY_COLUMNS, SUMMARY_COLUMNS, by_rows, format_value

    corpus = report["corpus"]
    where = ("gold files" if corpus["split"] == "gold" else f"{report['split']} split"
             + (f" of wave {corpus['wave']}" if corpus.get("wave") else ""))
    title = (f"Evaluation on the {where} ({corpus['ads']} labelled ads, "
             f"{sum(corpus['gold_high'].values())} gold high)")
    for columns, rows, caption in ((SUMMARY_COLUMNS, report["summary"], title),
                                   (BY_COLUMNS, by_rows(report), "By " + ", ".join(report["by"]))):
        if not rows:
            continue
        table = Table(title=caption, title_justify="left")
        for key, name in columns:
            table.add_column(name, justify="left" if key in ("detector", "lang", "group")
                             else "right")
        for row in rows:
            table.add_row(*(format_value(key, row[key]) for key, _ in columns))
        console.print(table)
    real = report["real_ads"]
    if real["used"]:
        used = sum(f["used"] for f in real["files"].values())
        console.print(f"Real ordinary ads: {used:,} from {len(real['files'])} files in "
                      f"{real['folder']}", soft_wrap=True, highlight=False)
    else:
        console.print(f"Real ordinary ads skipped: {real['skipped']}", soft_wrap=True,
                      highlight=False)
    if report["warning"]:
        console.print(f"[bold red]{report['warning']}[/]")
