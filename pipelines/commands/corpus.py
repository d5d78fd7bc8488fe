"""`centinela corpus`: check the labelled seed corpus and make its stored split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from corpora.corpus import SEED_DIR

if TYPE_CHECKING:
    from rich.console import Console

    from corpora.check import CorpusReport

corpus_app = typer.Typer(
    name="corpus", no_args_is_help=True, rich_markup_mode="markdown",
    help="Check the labelled seed corpus and make its train/dev/test split.")

RootOption = Annotated[Path, typer.Option(
    "--root", file_okay=False, help="Corpus folder holding ads/*.jsonl (and splits.json).")]
SplitsOption = Annotated[Path | None, typer.Option(
    "--splits", dir_okay=False, help="Splits file (default: ROOT/splits.json).")]


@corpus_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the count tables as Markdown (for corpora/DATASHEET.md).")]
        = False,
    augmented: Annotated[bool, typer.Option(
        "--augmented", help="Also load ROOT/augmented/*.jsonl (record checks only).")] = False,
    similarity: Annotated[float, typer.Option(
        min=0.05, max=1.0, help="MinHash Jaccard estimate at which two ads are reported as "
                                "near-duplicates.")] = 0.5,
    root: RootOption = SEED_DIR,
    splits: SplitsOption = None,
) -> None:
    """Validate the corpus and print its label counts.

    Checks every line (valid JSON and schema, unique ids, exact evidence spans, evidence for
    exactly the listed indicators, known indicator ids, 8-250 words), the seed-corpus
    targets (ads per language, Spanish-speaking countries, ads per indicator, kind shares),
    near-duplicates (no sentence of 9+ words shared by two ads; MinHash pairs listed as
    warnings) and the stored splits. Exits 1 when there is any error.
    """
    from corpora.check import Thresholds, check_corpus
    from corpora.corpus import CorpusError, load_corpus

    try:
        corpus = load_corpus(root, include_augmented=augmented)
    except CorpusError as exc:
        raise typer.BadParameter(str(exc), param_hint="--root") from None
    report = check_corpus(corpus, thresholds=Thresholds(similarity=similarity),
                          splits_path=splits or root / "splits.json")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    elif markdown:
        typer.echo(markdown_tables(report))
    else:
        from rich.console import Console

        _print_report(report, Console())
    if not report.ok:
        raise typer.Exit(1)


@corpus_app.command("split")
def split(
    seed: Annotated[int, typer.Option(help="Random seed of the split.")] = 13,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing splits file. Never do it once results on the "
                        "test split have been reported.")] = False,
    similarity: Annotated[float, typer.Option(
        min=0.05, max=1.0, help="MinHash Jaccard estimate at which ads are grouped.")] = 0.5,
    extend: Annotated[str | None, typer.Option(
        "--extend", metavar="WAVE",
        help="Add the ads the stored splits do not list yet as a new writing wave WAVE "
             "(e.g. 2), with its own train/dev/test; stored assignments never move.")] = None,
    root: RootOption = SEED_DIR,
    splits: SplitsOption = None,
) -> None:
    """Make the train/dev/test split (70/15/15) and store it in ROOT/splits.json.

    Stratified by language and kind; near-duplicate ads are grouped and each group goes
    whole into one split. Refuses to overwrite an existing file unless --force: the test
    split must never move once results are reported on it. With --extend, a new wave of
    ads is split on its own and added to the stored file (a new ad that nearly duplicates
    a stored one follows it into its split).
    """
    from rich.console import Console

    from corpora.check import count_splits
    from corpora.corpus import (
        CorpusError,
        load_corpus,
        read_splits,
        write_splits,
    )
    from evaluation.splits import extend_split, split_ads

    path = splits or root / "splits.json"
    try:
        corpus = load_corpus(root)
    except CorpusError as exc:
        raise typer.BadParameter(str(exc), param_hint="--root") from None
    if corpus.problems:
        for problem in corpus.problems:
            typer.echo(f"{problem.location}: {problem.message}", err=True)
        typer.echo("error: fix these lines first; a split must cover the whole corpus",
                   err=True)
        raise typer.Exit(1)
    try:
        if extend is not None:
            result = extend_split(read_splits(path), corpus.ads, extend, seed=seed)
        else:
            result = split_ads(corpus.ads, seed=seed, threshold=similarity)
        write_splits(result, path, force=force or extend is not None)
    except (CorpusError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    console = Console()
    console.print(f"wrote {path} (seed {seed}; waves {', '.join(sorted(result.waves))})")
    _print_split_counts(console, count_splits(result, corpus.ads))


@corpus_app.command("agreement")
def agreement(
    second: Annotated[Path, typer.Option(
        "--second", dir_okay=False, help="The second annotator's labels (corpus format).")]
        = SEED_DIR / "agreement" / "annotator_b.jsonl",
    root: RootOption = SEED_DIR,
) -> None:
    """Agreement between the corpus labels and a second, blind annotation of a sample:
    Krippendorff's alpha per indicator (nominal), for kind and for risk (ordinal), the
    character overlap (F1) of evidence spans on ads both annotators marked, and span F1
    over all spans (exact and overlapping matches)."""
    from rich.console import Console
    from rich.table import Table

    from annotation.learning.agreement import compare_annotations
    from corpora.corpus import load_corpus, load_labelled_file
    from corpora.taxonomy import load_taxonomy

    other = load_labelled_file(second)
    if other.problems:
        for problem in other.problems:
            typer.echo(f"{problem.location}: {problem.message}", err=True)
        raise typer.Exit(1)
    ids = {ad.id for ad in other.ads}
    first = [ad for ad in load_corpus(root).ads if ad.id in ids]
    try:
        report = compare_annotations(first, other.ads, load_taxonomy().ids)
    except ValueError as exc:  # an id or a text that the corpus does not hold
        typer.echo(f"error: {second}: {exc}", err=True)
        raise typer.Exit(1) from None
    table = Table(title=f"Agreement on {report.ads} ads (corpus labels vs {second.name})")
    for column in ("indicator", "alpha", "ads A", "ads B", "both", "span F1"):
        table.add_column(column, justify="left" if column == "indicator" else "right")
    for row in report.indicators:
        table.add_row(row.indicator, _fmt(row.alpha), str(row.positives_a), str(row.positives_b),
                      str(row.both), _fmt(row.span_f1))
    table.add_row("kind", _fmt(report.kind_alpha), "", "", "", "")
    table.add_row("risk (ordinal)", _fmt(report.risk_alpha), "", "", "", "")
    Console().print(table)
    spans = report.spans
    Console().print(f"evidence spans: {spans.spans_a} (A) and {spans.spans_b} (B); span F1 "
                    f"exact {_fmt(spans.exact_f1)}, overlapping {_fmt(spans.overlap_f1)}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_report(report: CorpusReport, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    langs = list(report.ads_per_lang)
    summary = Table(title=f"Corpus: {report.ads} hand-written ads in {len(report.files)} files"
                          + (f" (+{report.augmented} augmented)" if report.augmented else ""))
    summary.add_column("language")
    summary.add_column("ads", justify="right")
    summary.add_column("countries", justify="right")
    for lang in langs:
        summary.add_row(lang, str(report.ads_per_lang[lang]),
                        str(len(report.counts["country"][lang])))
    console.print(summary)
    for dim in ("kind", "risk", "source", "country", "indicator"):
        table = Table(title=f"Ads per {dim} and language")
        table.add_column(dim)
        for lang in langs:
            table.add_column(lang, justify="right")
        values = list(dict.fromkeys(v for lang in langs for v in report.counts[dim][lang]))
        for value in values:
            table.add_row(value, *(str(report.counts[dim][lang].get(value, 0)) for lang in langs))
        console.print(table)
    checks = Table(title="Seed-corpus targets")
    checks.add_column("check")
    checks.add_column("result")
    checks.add_column("detail")
    for item in report.checks:
        checks.add_row(escape(item.name), "[green]pass[/]" if item.passed else "[red]FAIL[/]",
                       escape(item.detail))
    console.print(checks)
    if report.split_counts is not None:
        _print_split_counts(console, report.split_counts)
    if report.problems:
        console.print(f"Problems: {len(report.errors)} errors, {len(report.warnings)} warnings")
        for p in sorted(report.problems, key=lambda p: p.severity != "error"):
            label = "[red]error[/]" if p.severity == "error" else "[yellow]warning[/]"
            where = p.location or ", ".join(p.ids)
            console.print(f"{label} {p.code} {escape(where)}\n    {escape(p.message)}",
                          soft_wrap=True)
    verdict = "[green]corpus OK[/]" if report.ok else f"[red]{len(report.errors)} errors[/]"
    console.print(f"{verdict}, {len(report.warnings)} warnings")


def _print_split_counts(console: Console, counts: dict[str, dict[str, dict[str, int]]]) -> None:
    from rich.table import Table

    table = Table(title="Ads per split, language and kind")
    table.add_column("split")
    table.add_column("lang")
    kinds = list(dict.fromkeys(k for by_lang in counts.values() for by_kind in by_lang.values()
                               for k in by_kind))
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("total", justify="right")
    for name, by_lang in counts.items():
        for lang, by_kind in by_lang.items():
            cells = [by_kind.get(kind, 0) for kind in kinds]
            table.add_row(name, lang, *map(str, cells), str(sum(cells)))
    console.print(table)


def markdown_tables(report: CorpusReport) -> str:
    """The count tables of a report as Markdown (the label distribution of DATASHEET.md)."""
    langs = list(report.ads_per_lang)
    total = {lang: report.ads_per_lang[lang] or 1 for lang in langs}
    parts = [f"Hand-written ads: {report.ads} "
             f"({', '.join(f'{lang} {n}' for lang, n in report.ads_per_lang.items())})."]
    for dim in ("kind", "risk", "source", "country", "indicator"):
        values = list(dict.fromkeys(v for lang in langs for v in report.counts[dim][lang]))
        rows = [f"| {dim} | " + " | ".join(langs) + " |",
                "|---|" + "---:|" * len(langs)]
        for value in values:
            cells = [report.counts[dim][lang].get(value, 0) for lang in langs]
            rows.append(f"| {value} | " + " | ".join(
                f"{n} ({n / total[lang]:.1%})" if dim in ("kind", "risk") else str(n)
                for n, lang in zip(cells, langs)) + " |")
        parts.append("\n".join(rows))
    if report.split_counts is not None:
        kinds = list(next(iter(next(iter(report.split_counts.values())).values())))
        rows = ["| split | lang | " + " | ".join(kinds) + " | total |",
                "|---|---|" + "---:|" * (len(kinds) + 1)]
        for name, by_lang in report.split_counts.items():
            for lang, by_kind in by_lang.items():
                cells = [by_kind[kind] for kind in kinds]
                rows.append(f"| {name} | {lang} | " + " | ".join(map(str, cells))
                            + f" | {sum(cells)} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)
