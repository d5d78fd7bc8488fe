"""The progress bar of `centinela scan`: per source, records read, new ads, flagged ads
and re-posts, with the rate, updated after every stored batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipelines.progress import ScanProgress, watching


@contextmanager
def scan_progress_bar(console: Any) -> Iterator[None]:
    """Show a live bar for each source scanned inside the block (on stderr's console)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} records"), TextColumn("{task.fields[counts]}"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console,
        transient=False)
    tasks: dict[str, Any] = {}  # counts only: a stream's length is not known ahead

    def show(update: ScanProgress) -> None:
        if update.source not in tasks:
            tasks[update.source] = progress.add_task(update.source, total=None, counts="",
                                                     rate="")
        task_id = tasks[update.source]
        elapsed = progress.tasks[task_id].elapsed or 0.0
        rate = f"{update.records / elapsed:,.0f}/s" if elapsed > 0 else ""
        progress.update(task_id, completed=update.records, rate=rate, counts=(
            f"{update.ads_new:,} new, {update.flagged:,} flagged, {update.reposts:,} re-posts"))
        if update.done:
            progress.update(task_id, total=update.records)

    with progress, watching(show):
        yield
