"""The audit log: who did what, when, to what, with the state before and after.

Every state change (decision, label edit, role change, export, unmasking a contact)
writes one row in the same transaction as the change itself. Rows are never edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation.store.tables import AuditRow
from corpora.records import utc_now


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as read back."""

    actor: str
    created_at: datetime
    action: str
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_audit(session: Session, actor: str, action: str, target: str | None = None, *,
                 before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> None:
    """Append an audit row (`action` like 'review.decide', `target` like 'ad:es-001')."""
    session.add(AuditRow(actor=actor, created_at=utc_now(), action=action, target=target,
                         before=before, after=after))


def list_audit(session: Session, *, target: str | None = None, actor: str | None = None,
               action: str | None = None, limit: int = 100,
               offset: int = 0) -> list[AuditEntry]:
    """The latest audit rows, newest first, optionally about one target, by one actor or
    of one action (an action ending in '.' matches every action it starts)."""
    query = select(AuditRow).order_by(AuditRow.created_at.desc(), AuditRow.id.desc())
    if target is not None:
        query = query.where(AuditRow.target == target)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if action is not None:
        query = query.where(AuditRow.action.startswith(action, autoescape=True)
                            if action.endswith(".") else AuditRow.action == action)
    return [AuditEntry(row.actor, row.created_at, row.action, row.target, row.before, row.after)
            for row in session.scalars(query.offset(offset).limit(limit))]
