"""`centinela scan`: run the `scan-ads` flow (one file) or the `scan-sources` flow (a
sources file) in-process, with a progress bar, and print what it found."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from pipelines.commands.database import fail_store, masked_url, open_cli_store
from pipelines.prefect_env import local_prefect
from pipelines.runners import Runner, in_flight, task_runner
from pipelines.settings import DEFAULT_MODEL, Settings
from pipelines.terminal import printable

if TYPE_CHECKING:
    from rich.console import Console

    from annotation.intake import ScanSummary
    from pipelines.flows.sources import SourcesScan

class RunnerChoice(str, Enum):
    local = "local"
    dask = "dask"


_RISK_STYLES = {"high": "bold red", "medium": "yellow", "low": "green"}


def scan(
    source: Annotated[Path | None, typer.Argument(
        metavar="[SOURCE]", show_default=False,
        help="Ads file: JSON Lines (.jsonl, .ndjson, .json), CSV with a header row (.csv), "
             "an RSS/Atom feed saved as a file (.xml, .rss, .atom), a WARC file (.warc, "
             ".warc.gz) or a Telegram Desktop JSON export. Or give --sources.")] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", metavar="FILE", show_default=False,
        help="A sources file (sources.toml): scan each enabled source in it, fetching web "
             "sources politely.")] = None,
    only: Annotated[str | None, typer.Option(
        "--only", metavar="NAME", help="With --sources: scan only this source.")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="SQLAlchemy URL of the store (default: CENTINELA_DB, else centinela.db in "
             "CENTINELA_HOME or your data folder).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Registered detector name (default: CENTINELA_MODEL or "
                        f"{DEFAULT_MODEL}).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Ads assessed together.")] = 512,
    top: Annotated[int, typer.Option(
        "--top", min=0, help="How many of the highest-scoring flagged ads to list.")] = 10,
    restart: Annotated[bool, typer.Option(
        "--restart", help="Fetch and assess again what earlier scans already did (by "
                          "default a scan only does what is left).")] = False,
    runner: Annotated[RunnerChoice, typer.Option(
        "--runner", help="Where detection batches run: local (this process) or dask.")
    ] = RunnerChoice.local,
    address: Annotated[str | None, typer.Option(
        "--address", metavar="tcp://HOST:8786",
        help="With --runner dask: a running Dask scheduler (default: start a local "
             "cluster for this scan).")] = None,
    workers: Annotated[int, typer.Option(
        min=1, help="With --runner dask and no --address: local worker processes.")] = 2,
) -> None:
    """Scan a file of ads, or the sources of a sources file, into the store and summarise
    what was found.

    Each ad's text is normalised, its language identified, and the ad assessed for
    trafficking-recruitment indicators. New ads and their assessments are stored;
    scanning the same file again with the same model stores nothing twice.

    A record that cannot become an ad (bad JSON, a CSV row without text, a broken feed
    entry) is skipped and listed with its file and line; the rest of the file goes on.
    The exit code is non-zero only when the file could not be read at all (or none of
    its records could).

    New ads are linked: contacts (as HMAC pseudonyms), re-posts of earlier ads and
    clusters (see `centinela clusters`). A scan killed half-way and run again does only
    what is left; `--restart` does everything again.

    Runs as the Prefect flow `scan-ads` (a file) or `scan-sources` (--sources) in this
    process: with no Prefect server configured (PREFECT_API_URL), a temporary local one
    starts and stops with the command. `--runner dask` spreads detection over a Dask
    cluster (prefect-dask).
    """
    from rich.console import Console

    from annotation.store import StoreError
    from corpora.sources import SourceError, read_source
    from models.artifacts import ArtifactError
    from models.registry import UnknownDetectorError, available_detectors

    if (source is None) == (sources is None):
        raise typer.BadParameter("give a SOURCE file or --sources FILE (one of them)")
    if only and sources is None:
        raise typer.BadParameter("--only needs --sources", param_hint="--only")
    settings = Settings.from_env()
    model_name = model or settings.model
    if model_name not in available_detectors(settings.home):
        raise typer.BadParameter(str(UnknownDetectorError(model_name)), param_hint="--model")
    db_url = db or settings.db_url
    if sources is not None:
        _check_sources(sources, only, settings.allow_loopback)
    else:
        try:
            # Fail before Prefect starts: no such file, unknown kind, a CSV without 'text'...
            records = read_source(source)
            next(records, None)
            records.close()
        except (OSError, SourceError) as exc:
            _fail(source, exc)
    # Creates or migrates it, checks it is sound and takes writes: before Prefect starts.
    open_cli_store(db_url, writable=True).close()

    from pydantic import SecretStr

    from models.registry import shared_detector
    from pipelines.commands.scan_progress import scan_progress_bar

    def load_model() -> None:  # while the Prefect server starts, in this process's cache
        shared_detector(model_name, str(settings.home))

    chosen: Runner = runner.value  # type: ignore[assignment]
    ahead = in_flight(chosen, workers)
    options = {"task_runner": task_runner(chosen, address, workers)} if chosen == "dask" else {}
    console = Console()
    from pipelines.flows.scan import ScanStepError

    try:
        with local_prefect(warm_up=load_model), scan_progress_bar(Console(stderr=True)):
            if sources is not None:
                from pipelines.flows.sources import scan_sources

                result = scan_sources.with_options(**options)(
                    sources_path=str(sources), only=only, db_url=SecretStr(db_url),
                    model=model_name, home=str(settings.home), batch_size=batch_size,
                    top_n=top, resume=not restart, in_flight=ahead)
            else:
                from pipelines.flows.scan import scan_ads

                summary = scan_ads.with_options(**options)(
                    source=str(source), db_url=SecretStr(db_url), model=model_name,
                    home=str(settings.home), batch_size=batch_size, top_n=top,
                    resume=not restart, in_flight=ahead)
    except StoreError as exc:
        fail_store(db_url, exc)
    except ArtifactError as exc:  # e.g. no trained model yet: loading never trains
        typer.echo(f"Error: {printable(str(exc))}", err=True)
        raise typer.Exit(2) from None
    except (OSError, SourceError) as exc:
        _fail(source or Path("?"), exc)
    except ScanStepError as exc:  # names the records, never quotes them
        typer.echo(f"Error: {printable(str(exc))}", err=True)
        raise typer.Exit(1) from None

    if sources is not None:
        _print_sources_scan(result, console, db_url)
        return
    print_scan_summary(summary, console, db_url)
    if summary.records_read and summary.error_count == summary.records_read:
        raise typer.Exit(1)


def _check_sources(path: Path, only: str | None, allow_loopback: bool) -> None:
    """Fail before Prefect starts on a sources file that cannot be used."""
    from corpora.sources.config import SourcesFileError, load_sources_file

    try:
        load_sources_file(path, allow_loopback=allow_loopback).select(only)
    except SourcesFileError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None


def _print_sources_scan(result: SourcesScan, console: Console, db_url: str) -> None:
    for summary in result.summaries:
        print_scan_summary(summary, console, db_url)
    for failure in result.failures:
        typer.echo(f"Error: source {printable(failure.source)} could not be read: "
                   f"{printable(failure.message)}",
                   err=True)
    if result.failures and not result.summaries:
        raise typer.Exit(1)


def print_scan_summary(summary: ScanSummary, console: Console, db_url: str) -> None:
    """Tables of a scan's counts, risks, bad records and top flagged ads. Ids, locations
    and messages come from the source: control characters in them are shown escaped."""
    from rich.table import Table
    from rich.text import Text

    model = summary.model
    console.print(Text.assemble(
        ("Scan ", "bold"), (str(summary.scan_id), "bold"), " of ", printable(summary.source),
        f" with {model.name} v{model.version} (sha256 {model.sha256[:12]}) into ",
        printable(masked_url(db_url))))

    counts = Table(title="Records", title_justify="left", show_header=False)
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    for label, value in (("read", summary.records_read), ("errors", summary.error_count),
                         ("new ads", summary.ads_new), ("already stored", summary.ads_seen),
                         ("new text under a stored id (new revision)", summary.ads_changed),
                         ("new assessments", summary.assessments_new),
                         ("contacts and amounts found", summary.entities),
                         ("re-posts of earlier ads", summary.reposts),
                         ("clusters grown", summary.clusters_touched)):
        counts.add_row(label, str(value))
    console.print(counts)

    risks = Table(title="Ads by risk hint (for a person to review, not a verdict)",
                  title_justify="left")
    risks.add_column("risk hint")
    risks.add_column("ads", justify="right")
    for risk in ("high", "medium", "low"):
        risks.add_row(Text(risk, style=_RISK_STYLES[risk]), str(summary.risk_counts.get(risk, 0)))
    console.print(risks)

    if summary.errors:
        shown = len(summary.errors)
        more = f" (first {shown} of {summary.error_count})" if summary.error_count > shown else ""
        errors = Table(title=f"Skipped records{more}", title_justify="left")
        errors.add_column("where", overflow="fold")
        errors.add_column("problem", overflow="fold")
        for problem in summary.errors:
            errors.add_row(Text(printable(problem.location)), Text(printable(problem.message)))
        console.print(errors)

    if summary.changed_ids:
        console.print(Text.assemble(
            ("Ads with a new text", "bold"), " (stored as new revisions, assessed): ",
            ", ".join(printable(ad_id) for ad_id in summary.changed_ids)))

    if summary.top_flagged:
        top = Table(title="Top flagged ads (hints for review)", title_justify="left")
        top.add_column("ad id", overflow="fold")
        top.add_column("score", justify="right")
        top.add_column("risk hint")
        top.add_column("indicators", overflow="fold")
        for flagged in summary.top_flagged:
            top.add_row(Text(printable(flagged.ad_id)), f"{flagged.score:.2f}",
                        Text(flagged.risk, style=_RISK_STYLES[flagged.risk]),
                        Text(", ".join(flagged.indicators) or "-"))
        console.print(top)
    elif summary.records_read:
        console.print("No ad was flagged.")


def _fail(source: Path, exc: Exception) -> NoReturn:
    if isinstance(exc, FileNotFoundError):
        message = f"cannot read {source}: no such file"
    elif isinstance(exc, OSError):
        message = f"cannot read {source}: {exc.strerror or exc}"
    else:
        message = str(exc)  # a SourceError names the file (and line) itself
    typer.echo(f"Error: {printable(message)}", err=True)
    raise typer.Exit(1)

