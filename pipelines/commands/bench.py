"""`centinela bench`: how fast `detect` runs here, or (`--scan`) a whole scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Settings

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "corpora" / "sample" / "ads.jsonl"


def bench(
    n: Annotated[int | None, typer.Option(
        "-n", min=1, help="How many ads (default: 5,000; with --scan 100,000).")] = None,
    source: Annotated[Path, typer.Option(
        help="JSONL ads to cycle through (default: the bundled sample).")] = SAMPLE_PATH,
    model: Annotated[str | None, typer.Option(help="Registered detector name.")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
    scan: Annotated[bool, typer.Option(
        "--scan", help="Benchmark a whole scan instead: real ads (--real-ads) cycled with "
                       "new ids, into a fresh store (--db), with entities, re-posts and "
                       "clusters; prints ads/s, memory and the near-duplicate cost per ad at "
                       "10k, 50k and 100k ads.")] = False,
    real_ads: Annotated[Path | None, typer.Option(
        "--real-ads", metavar="PATH", help="With --scan: folder of real ads (*.jsonl; "
                                           "default ../shared/data/real-ads beside the "
                                           "project).")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL", help="With --scan or --queue: a PostgreSQL database to bench "
                                    "in (a schema made and dropped for it); default a new "
                                    "SQLite file.")] = None,
    runner: Annotated[str, typer.Option(help="With --scan: local or dask.")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="With --runner dask: workers.")] = 2,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Benchmark the review queue instead: store N assessed ads (default "
                        "100,000) and time the queue page and claim_next.")] = False,
    repeats: Annotated[int, typer.Option(min=5, help="With --queue: runs per "
                                                     "operation.")] = 200,
) -> None:
    """Score N ads (the bundled sample, repeated) on one core and print ads/second and
    peak memory, beside the time a bare spaCy tokenization of the same texts takes; or,
    with --scan, run N ads through the whole scan and print what it costs as the store
    grows; or, with --queue, p50/p95 of the review queue page's server time and of
    claim_next with N assessed ads stored. A benchmark, not a test: run it on a quiet
    machine and repeat it."""
    if queue:
        from pipelines.commands.bench_queue import bench_queue

        bench_queue(n or 100_000, db, repeats)
        return
    settings = Settings.from_env()
    if scan:
        from evaluation.report import DEFAULT_REAL_ADS
        from pipelines.commands.scan_bench import run_scan_bench

        if runner not in ("local", "dask"):
            raise typer.BadParameter("local or dask", param_hint="--runner")
        run_scan_bench(n or 100_000, real_ads or DEFAULT_REAL_ADS, db, model or settings.model, settings.home,
                       batch_size if batch_size != 256 else 512, runner,  # type: ignore[arg-type]
                       workers)
        return
    n = n or 5000
    from rich.console import Console
    from rich.table import Table

    from corpora.sources.ads import build_ads
    from corpora.sources.jsonl import read_jsonl
    from evaluation.bench import repeat_ads, run_benchmark
    from models.registry import load_detector

    with source.open("rb") as stream:
        ads = [built.ad for built in build_ads(read_jsonl(stream, str(source)))
               if built.ad is not None]
    detector = load_detector(model or settings.model)
    result = run_benchmark(repeat_ads(ads, n), detector, batch_size)
    table = Table(title=f"centinela detect benchmark ({detector.ref.name} v{detector.ref.version})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("ads scored", f"{result.ads:,}")
    table.add_row("detect seconds", f"{result.detect_seconds:.3f}")
    table.add_row("ads / second", f"{result.ads_per_second:,.0f}")
    table.add_row("bare spaCy tokenization seconds", f"{result.tokenize_seconds:.3f}")
    table.add_row("detect / tokenization", f"{result.ratio_to_tokenization:.2f}x")
    table.add_row("peak traced memory during detect (MB)", f"{result.peak_traced_mb:.1f}")
    table.add_row("peak process RSS (MB)", f"{result.peak_rss_mb:.0f}")
    Console().print(table)
