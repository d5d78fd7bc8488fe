"""The store: ads, assessments, scans, review decisions, annotations and the audit log in
SQLite (one user, the default) or PostgreSQL (teams), through SQLAlchemy 2.

    from annotation.store import open_store, save_ads

    with open_store("sqlite:///centinela.db") as store, store.begin() as session:
        saved = save_ads(session, ads)

Opening a store brings its schema up to date (Alembic, `migrations/`). Repository
functions take a `Session`, so one transaction can hold several of them.
"""

from annotation.store.ads import (
    SavedAds,
    StoredRevision,
    find_fetch_times,
    find_latest_revisions,
    load_ad,
    revision_id,
    save_ads,
)
from annotation.store.assessments import SavedAssessments, load_assessments, save_assessments
from annotation.store.audit import AuditEntry, list_audit, record_audit
from annotation.store.db import Store, check_writable, compact_store, migrate_store, open_store
from annotation.store.faults import StoreError, retry_locked
from annotation.store.reviews import (
    append_annotation,
    append_review_decision,
    list_annotations,
    list_review_decisions,
)
from annotation.store.scans import (
    Scan,
    ScanCounts,
    finish_scan,
    list_scans,
    load_scan,
    mark_interrupted,
    start_scan,
    touch_scan,
)
from annotation.store.summary import FlaggedAd, count_risks, find_verdicts, list_top_flagged
from annotation.store.tables import AppendOnlyError

__all__ = [
    "AppendOnlyError", "AuditEntry", "FlaggedAd", "SavedAds", "SavedAssessments", "Scan",
    "ScanCounts", "Store", "StoreError", "StoredRevision", "append_annotation",
    "append_review_decision", "check_writable", "compact_store", "count_risks",
    "find_fetch_times", "find_latest_revisions", "find_verdicts", "finish_scan",
    "list_annotations", "list_audit", "list_review_decisions", "list_scans", "list_top_flagged",
    "load_ad", "load_assessments", "load_scan", "mark_interrupted", "migrate_store",
    "open_store", "record_audit", "retry_locked", "revision_id", "save_ads", "save_assessments",
    "start_scan", "touch_scan",
]
