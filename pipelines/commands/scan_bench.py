"""`centinela bench --scan`: a stream of real ads through the whole scan (normalise,
detect, store, entities, re-posts, clusters) into a fresh store, measured as it grows."""

from __future__ import annotations

import json
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from pipelines.runners import Runner, in_flight, task_runner

MARKS = (10_000, 50_000, 100_000)


def run_scan_bench(n: int, real_ads: Path, db: str | None, model: str, home: Path,
                   batch_size: int, runner: Runner, workers: int) -> None:
    """Scan `n` ads cycled from `real_ads` and print throughput, memory and the near-dup
    cost per ad at 10k, 50k and 100k ads."""
    from pydantic import SecretStr
    from rich.console import Console
    from rich.table import Table

    from evaluation.bench import ScanSample, current_rss_mb, cycled_real_ads, near_duplicate_cost
    from pipelines.flows.scan import scan_ads
    from pipelines.prefect_env import local_prefect
    from pipelines.progress import ScanProgress, watching

    if not real_ads.is_dir():
        typer.echo(f"Error: no real ads at {real_ads} (give --real-ads PATH)", err=True)
        raise typer.Exit(1)
    samples: list[ScanSample] = []
    with tempfile.TemporaryDirectory(prefix="centinela-bench-") as folder:
        stream = Path(folder) / "stream.jsonl"
        with stream.open("w", encoding="utf-8") as out:
            for record in cycled_real_ads(real_ads, n):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        with _fresh_store(db, Path(folder)) as db_url:
            started = time.perf_counter()

            def sample(progress: ScanProgress) -> None:
                samples.append(ScanSample(progress.records, time.perf_counter() - started,
                                          current_rss_mb(), progress.linked,
                                          progress.repost_seconds))

            options = {"task_runner": task_runner(runner, None, workers)} \
                if runner == "dask" else {}
            with local_prefect(), watching(sample):
                cpu_before = _cpu_seconds()
                started = time.perf_counter()
                summary = scan_ads.with_options(**options)(
                    source=str(stream), db_url=SecretStr(db_url), model=model, home=str(home),
                    batch_size=batch_size, top_n=0, in_flight=in_flight(runner, workers))
            seconds = time.perf_counter() - started
            cpu = _cpu_seconds() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    title = (f"centinela scan benchmark: {summary.records_read:,} ads, {model}, "
             f"{'SQLite' if (db or 'sqlite').startswith('sqlite') else 'PostgreSQL'}, "
             f"runner {runner}" + (f" ({workers} workers)" if runner == "dask" else ""))
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("seconds, end to end (after start-up)", f"{seconds:,.1f}")
    table.add_row("ads / second", f"{summary.records_read / seconds:,.0f}")
    table.add_row("CPU seconds (this process and its workers)", f"{cpu:,.1f}")
    table.add_row("ads / CPU second (what a busy machine hides)",
                  f"{summary.records_read / cpu:,.0f}" if cpu else "-")
    table.add_row("new ads / re-posts found", f"{summary.ads_new:,} / {summary.reposts:,}")
    table.add_row("peak RSS of this process (MB)", f"{peak:,.0f}")
    for mark in (m for m in MARKS if m <= n):
        at = [s for s in samples if s.records <= mark]
        cost = near_duplicate_cost(samples, mark, window=min(5_000, mark // 2))
        if at:
            table.add_row(f"RSS at {mark:,} ads (MB)", f"{at[-1].rss_mb:,.0f}")
        if cost is not None:
            table.add_row(f"near-dup cost per ad at {mark:,} (ms)", f"{cost * 1000:.3f}")
    Console().print(table)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # Dask workers, once ended
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


@contextmanager
def _fresh_store(db: str | None, folder: Path) -> Iterator[str]:
    """A new SQLite file in `folder`, or a new schema in the PostgreSQL database `db`
    (dropped after)."""
    if db is None or db.startswith("sqlite"):
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from annotation.store.db import temporary_schema

    with temporary_schema(db, prefix="bench") as url:
        yield url
