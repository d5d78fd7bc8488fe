"""Scans: one row per run of the scan flow, opened when it starts and closed with its counts.

`failed` means the flow caught an error (e.g. the source could not be read). A scan whose
process died (kill -9, a power cut) cannot close its row: the next scan to start marks it
`interrupted` when its process is gone (same host, no such pid) or, from another host,
when it stored nothing for `STALE_AFTER`. Its stored batches are kept; scanning the
source again does the rest.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from annotation.store.tables import ScanRow
from corpora.records import ModelRef, utc_now

ScanStatus = Literal["running", "finished", "failed", "interrupted"]
STALE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class ScanCounts:
    """What one scan read and stored."""

    records_read: int = 0
    errors: int = 0
    ads_new: int = 0
    ads_seen: int = 0
    ads_changed: int = 0
    assessments_new: int = 0


@dataclass(frozen=True)
class Scan:
    """A stored scan."""

    id: int
    source: str
    model: ModelRef
    status: ScanStatus
    started_at: datetime
    finished_at: datetime | None
    counts: ScanCounts


def start_scan(session: Session, source: str, model: ModelRef) -> int:
    """Record that a scan of `source` with `model` starts now, in this process; returns
    its id."""
    now = utc_now()
    row = ScanRow(source=source, model_name=model.name, model_version=model.version,
                  model_sha256=model.sha256, status="running", started_at=now,
                  owner=this_process(), heartbeat_at=now)
    session.add(row)
    session.flush()
    return row.id


def touch_scan(session: Session, scan_id: int) -> None:
    """Record that the scan is alive: it stored a batch just now."""
    session.execute(update(ScanRow).where(ScanRow.id == scan_id)
                    .values(heartbeat_at=utc_now()))


def mark_interrupted(session: Session, *, now: datetime | None = None,
                     stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark `interrupted` every `running` scan whose process is gone (on this host: its
    pid is not running) or that stored nothing for `stale_after`; returns their ids."""
    now = now or utc_now()
    host = socket.gethostname()
    found = []
    for row in session.scalars(select(ScanRow).where(ScanRow.status == "running")):
        owner_host, _, pid = (row.owner or "").rpartition(":")
        last = row.heartbeat_at or row.started_at
        gone = owner_host == host and pid.isdigit() and not _running(int(pid))
        if gone or now - last > stale_after:
            row.status, row.finished_at = "interrupted", last
            found.append(row.id)
    return found


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def finish_scan(session: Session, scan_id: int, counts: ScanCounts,
                status: ScanStatus = "finished") -> None:
    """Record a scan's end, its status and its counts."""
    row = session.get_one(ScanRow, scan_id)
    row.status = status
    row.finished_at = utc_now()
    for name, value in vars(counts).items():
        setattr(row, name, value)


def load_scan(session: Session, scan_id: int) -> Scan | None:
    """The scan with this id, or None."""
    row = session.get(ScanRow, scan_id)
    return None if row is None else _scan_from_row(row)


def list_scans(session: Session, limit: int = 20) -> list[Scan]:
    """The latest scans, newest first."""
    query = select(ScanRow).order_by(ScanRow.started_at.desc(), ScanRow.id.desc()).limit(limit)
    return [_scan_from_row(row) for row in session.scalars(query)]


def _scan_from_row(row: ScanRow) -> Scan:
    counts = ScanCounts(
        records_read=row.records_read, errors=row.errors, ads_new=row.ads_new,
        ads_seen=row.ads_seen, ads_changed=row.ads_changed,
        assessments_new=row.assessments_new)
    model = ModelRef(name=row.model_name, version=row.model_version, sha256=row.model_sha256)
    return Scan(id=row.id, source=row.source, model=model, status=row.status,  # type: ignore[arg-type]
                started_at=row.started_at, finished_at=row.finished_at, counts=counts)
