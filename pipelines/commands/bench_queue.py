"""`centinela bench --queue`: the review queue's speed with many assessed ads stored."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer


def bench_queue(n: int, db: str | None, repeats: int) -> None:
    """Store N synthetic assessed ads in a scratch database (a temporary SQLite file, or a
    temporary schema on the PostgreSQL server that --db names, dropped afterwards), then
    print p50/p95 of the queue page's server time and of claim_next."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from annotation.store import open_store
    from evaluation.queue_bench import seed_store, time_claims, time_queue_page

    console = Console()
    with _scratch_database(db) as (url, label):
        with open_store(url) as store:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"storing {n:,} assessed ads", total=n)
                queued = seed_store(store, n, progress=lambda done: progress.advance(task, done))
            timings = [*time_queue_page(store, secrets.token_urlsafe(32), repeats),
                       *time_claims(store, repeats)]
    table = Table(title=f"review queue benchmark: {n:,} assessed ads, {queued:,} queued, "
                        f"{label}, {repeats} runs each")
    table.add_column("operation")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for timing in timings:
        table.add_row(timing.name, f"{timing.p50:.1f}", f"{timing.p95:.1f}")
    console.print(table)


@contextmanager
def _scratch_database(db: str | None) -> Iterator[tuple[str, str]]:
    from sqlalchemy.engine import make_url

    from annotation.store.db import temporary_schema

    if db is None or make_url(db).get_backend_name() == "sqlite":
        if db is not None and make_url(db).database not in (None, "", ":memory:"):
            raise typer.BadParameter("the queue benchmark makes its own SQLite file; give "
                                     "--db only for a PostgreSQL server", param_hint="--db")
        with tempfile.TemporaryDirectory(prefix="centinela-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite"
        return
    with temporary_schema(db, "centinela_bench") as url:
        yield url, "PostgreSQL"
