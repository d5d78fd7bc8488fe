"""Signing in and out: password checks with a limit on failures, and login sessions.

A browser holds a random session token in a cookie; the store keeps only its sha256,
with the session's CSRF token and expiry, so a copy of the database signs nobody in.
After `MAX_FAILURES` failed sign-ins within `FAILURE_WINDOW`, for one name or from one
client address, further attempts are refused until the window has passed: the count
lives in the store, so it holds across server processes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from annotation.accounts import (
    User,
    hash_password,
    password_needs_rehash,
    user_from_row,
    verify_password,
)
from annotation.store.audit import record_audit
from annotation.store.tables import LoginFailureRow, LoginSessionRow, UserRow
from corpora.records import utc_now

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)


class LoginThrottled(PermissionError):
    """Too many failed sign-ins lately; `retry_after` says how long to wait."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, round(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed sign-ins; try again in {minutes} minute(s)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginSession:
    """A signed-in browser: who it is, its CSRF token and when it expires."""

    user: User
    csrf_token: str
    expires_at: datetime


def authenticate(session: Session, name: str, password: str, client: str,
                 now: datetime | None = None) -> User | None:
    """The active user if the password matches, else None (a wrong name, a wrong password
    or a disabled account: the failure is recorded, so commit the session). Raises
    LoginThrottled, checking nothing, when the failure limit is reached."""
    now = now or utc_now()
    name, client = name.strip()[:64], client[:64]
    _check_throttle(session, name, client, now)
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    # Verify against a real hash even for an unknown name, so timing does not tell.
    matched = verify_password(row.password_hash if row else _dummy_hash(), password)
    if row is None or not matched or not row.active:
        session.add(LoginFailureRow(name=name, client=client, created_at=now))
        return None
    if password_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.name == name))
    return user_from_row(row)


def start_session(session: Session, user: User, now: datetime | None = None
                  ) -> tuple[str, LoginSession]:
    """A new login session for `user`: the cookie token (shown once) and the session."""
    now = now or utc_now()
    session.execute(delete(LoginSessionRow).where(LoginSessionRow.expires_at <= now))
    token = secrets.token_urlsafe(32)
    row = LoginSessionRow(token_hash=_digest(token), user_id=user.id,
                          csrf_token=secrets.token_urlsafe(32), created_at=now,
                          expires_at=now + SESSION_LIFETIME)
    session.add(row)
    record_audit(session, user.name, "user.login", f"user:{user.name}")
    return token, LoginSession(user, row.csrf_token, row.expires_at)


def load_session(session: Session, token: str, now: datetime | None = None
                 ) -> LoginSession | None:
    """The unexpired session of an active user that this cookie token opens, or None."""
    if not token:
        return None
    found = session.execute(
        select(LoginSessionRow, UserRow).join(UserRow, UserRow.id == LoginSessionRow.user_id)
        .where(LoginSessionRow.token_hash == _digest(token))).first()
    if found is None:
        return None
    row, user_row = found
    if row.expires_at <= (now or utc_now()) or not user_row.active:
        return None
    return LoginSession(user_from_row(user_row), row.csrf_token, row.expires_at)


def end_session(session: Session, token: str, actor: str) -> None:
    """Sign out: forget this session."""
    session.execute(delete(LoginSessionRow).where(LoginSessionRow.token_hash == _digest(token)))
    record_audit(session, actor, "user.logout", f"user:{actor}")


def _check_throttle(session: Session, name: str, client: str, now: datetime) -> None:
    for column, value in ((LoginFailureRow.name, name), (LoginFailureRow.client, client)):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailureRow.created_at))
            .where(LoginFailureRow.created_at > now - FAILURE_WINDOW, column == value)).one()
        if count >= MAX_FAILURES:
            raise LoginThrottled(oldest + FAILURE_WINDOW - now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
