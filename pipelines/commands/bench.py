"""`centinela bench`: how fast `detect` runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Settings

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "corpora" / "sample" / "ads.jsonl"


def bench(
    n: Annotated[int, typer.Option("-n", min=1, help="How many ads to score.")] = 5000,
    source: Annotated[Path, typer.Option(
        help="JSONL ads to cycle through (default: the bundled sample).")] = SAMPLE_PATH,
    model: Annotated[str | None, typer.Option(help="Registered detector name.")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
) -> None:
    """Score N ads (the bundled sample, repeated) on one core and print ads/second and
    peak memory, beside the time a bare spaCy tokenization of the same texts takes."""
    from rich.console import Console
    from rich.table import Table

    from corpora.sources.ads import build_ads
    from corpora.sources.jsonl import read_jsonl
    from evaluation.bench import repeat_ads, run_benchmark
    from models.registry import load_detector

    with source.open("rb") as stream:
        ads = [built.ad for built in build_ads(read_jsonl(stream, str(source)))
               if built.ad is not None]
    detector = load_detector(model or Settings.from_env().model)
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
