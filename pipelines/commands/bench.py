"""`centinela bench`: how fast `detect` runs here, or (`--scan`) a whole scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Settings

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "corpora" / "sample" / "ads.jsonl"


def bench(
    n: Annotated[int | None, typer.Option(
        "-n", min=1, help="How many ads (default: 2,000; with --scan 100,000).")] = None,
    source: Annotated[Path, typer.Option(
        help="JSONL ads to cycle through (default: the bundled sample); the real ads "
             "(--real-ads) are benched beside them when the folder is there.")] = SAMPLE_PATH,
    startup: Annotated[bool, typer.Option(
        "--startup/--no-startup", help="Also time `centinela detect` on one ad in a new "
                                       "process (start-up, warm cache).")] = True,
    model: Annotated[str | None, typer.Option(help="Registered detector name.")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
    scan: Annotated[bool, typer.Option(
        "--scan", help="Benchmark a whole scan instead: real ads (--real-ads) cycled with "
                       "new ids, into a fresh store (--db), with entities, re-posts and "
                       "clusters; prints ads/s, memory and the near-duplicate cost per ad at "
                       "10k, 50k and 100k ads.")] = False,
    real_ads: Annotated[Path | None, typer.Option(
        "--real-ads", metavar="PATH", help="Folder of real ads (*.jsonl; default "
                                           "../shared/data/real-ads beside the project).")]
        = None,
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
    """Score N ads (the bundled sample, repeated, and N real ads when their folder is
    there) in one process and print ads/second (wall and CPU; the detector's caches emptied
    first, so each distinct text is met anew, then the same ads again with them kept, as
    re-posts are) and peak memory, beside the time a bare spaCy tokenization of the same
    texts takes, and how long `centinela detect` takes to start and score one ad; or,
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
    n = n or 2000
    from rich.console import Console
    from rich.table import Table

    from corpora.sources.ads import build_ads
    from corpora.sources.jsonl import read_jsonl
    from evaluation.bench import real_ads as read_real_ads
    from evaluation.bench import repeat_ads, run_benchmark, startup_seconds
    from evaluation.report import DEFAULT_REAL_ADS
    from models.registry import load_detector

    with source.open("rb") as stream:
        ads = [built.ad for built in build_ads(read_jsonl(stream, str(source)))
               if built.ad is not None]
    name = model or settings.model
    detector = load_detector(name, home=settings.home)
    sets = {"sample": repeat_ads(ads, n)}
    folder = real_ads or DEFAULT_REAL_ADS
    found = read_real_ads(folder, n) if folder.is_dir() else []
    if found:
        sets["real ads"] = repeat_ads(found, n)
    else:
        typer.echo(f"no real ads in {folder}: benching the sample only (--real-ads PATH)",
                   err=True)
    results = {label: run_benchmark(chosen, detector, batch_size)
               for label, chosen in sets.items()}
    table = Table(title=f"centinela detect benchmark ({detector.ref.name} v{detector.ref.version}, "
                        "one process; CPU seconds are the steadier figure on a busy machine)")
    table.add_column("measure")
    for label in results:
        table.add_column(label, justify="right")
    rows = [
        ("ads scored", lambda r: f"{r.ads:,}"),
        ("distinct texts", lambda r: f"{r.distinct_texts:,}"),
        ("characters per ad", lambda r: f"{r.chars_per_ad:,.0f}"),
        ("detect seconds (wall / CPU)", lambda r: f"{r.detect_seconds:.2f} / {r.detect_cpu_seconds:.2f}"),
        ("ads / second (wall)", lambda r: f"{r.ads_per_second:,.0f}"),
        ("ads / CPU second", lambda r: f"{r.ads_per_cpu_second:,.0f}"),
        ("ads / CPU second, the same ads again (caches kept: re-posts)",
         lambda r: f"{r.repeat_ads_per_cpu_second:,.0f}"),
        ("bare spaCy tokenization seconds (wall / CPU)",
         lambda r: f"{r.tokenize_seconds:.2f} / {r.tokenize_cpu_seconds:.2f}"),
        ("detect / tokenization (CPU)", lambda r: f"{r.ratio_to_tokenization:.2f}x"),
        ("peak traced memory during detect (MB, first two batches)", lambda r: f"{r.peak_traced_mb:.1f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in results.values()))
    if startup:
        first = next(iter(sets.values()))[0]
        wall, cpu = startup_seconds(name, {"id": "bench", "lang": first.lang, "text": first.text})
        table.add_row("`centinela detect` on one ad, warm cache (wall / CPU s)",
                      f"{wall:.2f} / {cpu:.2f}", *[""] * (len(results) - 1))
    table.add_row("peak process RSS (MB)",
                  *(f"{r.peak_rss_mb:.0f}" for r in results.values()))
    Console().print(table)
