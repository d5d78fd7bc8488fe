"""What can go wrong with a store, said in one line a person can act on.

A damaged SQLite file, a file that is not a database, a read-only file or disk, a lock
held by another program past the busy timeout, a server that refuses the connection: each
becomes a `StoreError` whose message says what is wrong and what to do. Locks are
retried with a backoff first, since another scan or a reviewer may release them soon.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

LOCK_PAUSES_SECONDS: tuple[float, ...] = (1.0, 2.0, 4.0)
# PostgreSQL: serialization failure, deadlock, lock not available.
_PG_RETRY_STATES = {"40001", "40P01", "55P03"}


class StoreError(OSError):
    """The store cannot be used as it is; the message says why and what to do."""


def is_lock_error(exc: BaseException) -> bool:
    """Whether `exc` is a lock or a conflict that may clear if the work is tried again."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_RETRY_STATES:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def retry_locked(work: Callable[[], T], pauses: Sequence[float] | None = None) -> T:
    """Run `work` (one whole transaction), again after each pause (by default
    LOCK_PAUSES_SECONDS) while the store is locked; then raise StoreError. Other errors
    pass through at once."""
    pauses = LOCK_PAUSES_SECONDS if pauses is None else pauses
    for pause in (*pauses, None):
        try:
            return work()
        except OperationalError as exc:
            if not is_lock_error(exc):
                raise
            if pause is None:
                raise StoreError(
                    "the store is locked by another program (another scan, or a tool with "
                    "the file open) and stayed locked after "
                    f"{len(pauses) + 1} tries over {sum(pauses):.0f} seconds and more; let "
                    "it finish, or close it, and run this again") from None
            time.sleep(pause)
    raise AssertionError("unreachable")


def describe_failure(exc: DBAPIError) -> str:
    """What a database error at opening or writing means for the person running Centinela."""
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    if "file is not a database" in reason:
        return ("it is not a SQLite database (or not one Centinela can read); pass another "
                "--db, or move the file away to start a new store")
    if "malformed" in reason or "corrupt" in reason:
        return damaged_message(reason)
    if "readonly" in reason or "read-only" in reason:
        return ("it is read-only (file permissions, an immutable flag, a read-only disk or "
                "a read-only database user); make it writable or pass another --db")
    if "unable to open database file" in reason:
        return "cannot open the file; check that its folder exists and is writable"
    return reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__


def damaged_message(detail: str) -> str:
    first = detail.strip().splitlines()[0] if detail.strip() else "no detail"
    return (f"it is damaged ({first}); restore it from a backup, or move it away to start a "
            "new store (`sqlite3 FILE .recover` may save what it holds)")
