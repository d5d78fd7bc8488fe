"""A scan left `running` by a process that is gone is marked `interrupted` by the next scan
(issue 11, item 10); a scan still alive, here or on another host, is left alone. SQLite
and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from annotation.store import Store, list_scans, mark_interrupted, start_scan, touch_scan
from annotation.store.scans import STALE_AFTER, this_process
from annotation.store.tables import ScanRow
from corpora.records import utc_now
from tests.fakes import FakeDetector


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_next_scan_marks_a_scan_whose_process_is_gone(store: Store) -> None:
    model = FakeDetector().ref
    host = this_process().rpartition(":")[0]
    now = utc_now()
    with store.begin() as session:
        killed, alive, elsewhere, silent = (start_scan(session, "x.jsonl", model)
                                            for _ in range(4))
        rows = {i: session.get(ScanRow, i) for i in (killed, alive, elsewhere, silent)}
        rows[killed].owner = f"{host}:{dead_pid()}"
        rows[elsewhere].owner = "another-host:1"
        rows[silent].owner = "another-host:2"
        rows[silent].heartbeat_at = now - STALE_AFTER - timedelta(minutes=1)
    with store.begin() as session:
        touch_scan(session, elsewhere)
        new = start_scan(session, "y.jsonl", model)
        assert sorted(mark_interrupted(session)) == sorted([killed, silent])
    with store.begin() as session:
        status = {scan.id: scan.status for scan in list_scans(session)}
        assert status == {killed: "interrupted", alive: "running", elsewhere: "running",
                          silent: "interrupted", new: "running"}
        assert session.get(ScanRow, silent).finished_at == rows[silent].heartbeat_at
        assert mark_interrupted(session) == []  # once only
