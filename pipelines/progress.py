"""Progress of a running scan, for whoever watches it in this process (the CLI's bar).

A flow reports after each stored batch; nothing happens unless a watcher is set (a
served or remote run has none: its counts are in the Prefect logs). Counts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ScanProgress:
    """Where one source's scan is: records read, new ads, flagged ads, re-posts."""

    source: str
    records: int
    ads_new: int
    flagged: int
    reposts: int
    done: bool = False
    linked: int = 0  # ads linked so far, and the time spent finding their re-posts
    repost_seconds: float = 0.0


Watcher = Callable[[ScanProgress], None]
_watcher: ContextVar[Watcher | None] = ContextVar("centinela_scan_watcher", default=None)


@contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Send the scans run inside the block to `watcher`."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


def report(progress: ScanProgress) -> None:
    """Tell the watcher, if any."""
    if (watcher := _watcher.get()) is not None:
        watcher(progress)
