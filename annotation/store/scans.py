"""Scans: one row per run of the scan flow, opened when it starts and closed with its counts.

A scan left `running` after its process ended crashed; `failed` means the flow caught an
error (e.g. the source could not be read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.tables import ScanRow
from corpora.records import ModelRef, utc_now

ScanStatus = Literal["running", "finished", "failed"]


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
    """Record that a scan of `source` with `model` starts now; returns its id."""
    row = ScanRow(source=source, model_name=model.name, model_version=model.version,
                  model_sha256=model.sha256, status="running", started_at=utc_now())
    session.add(row)
    session.flush()
    return row.id


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
