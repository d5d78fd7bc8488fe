"""User accounts: names, roles, argon2 password hashes. Accounts are never deleted, only
disabled, so that every audit row keeps pointing at someone. There is no default
account and no default password: the first admin is made with `centinela users add`.

Every change (add, role, disable, enable, password) writes an audit row; password
hashes never go into the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from annotation.roles import ROLES, can
from annotation.store.audit import record_audit
from annotation.store.tables import LoginSessionRow, UserRow
from corpora.records import utc_now

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account change that cannot be made; the message says why."""


class PermissionDenied(PermissionError):
    """The user may not do this (unknown, disabled, or their role lacks the permission)."""


@dataclass(frozen=True)
class User:
    """An account as the rest of the code sees it (never with its password hash)."""

    id: int
    name: str
    role: str
    active: bool
    created_at: datetime

    def can(self, permission: str) -> bool:
        return self.active and can(self.role, permission)


def hash_password(password: str) -> str:
    """An argon2id hash of the password, after checking its length."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password may have at most {MAX_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash (constant-time, via argon2)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)


def add_user(session: Session, name: str, role: str, password: str, *, actor: str) -> User:
    """Create an active account. Names are lower-case letters, digits, '.', '_' or '-'."""
    name = name.strip()
    if not _NAME.match(name):
        raise AccountError(f"{name!r} is not a valid user name: use 2-64 lower-case letters, "
                           "digits, '.', '_' or '-', starting with a letter or digit")
    _check_role(role)
    if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
        raise AccountError(f"a user named {name!r} already exists")
    now = utc_now()
    row = UserRow(name=name, role=role, password_hash=hash_password(password), active=True,
                  created_at=now, password_changed_at=now)
    session.add(row)
    session.flush()
    record_audit(session, actor, "user.add", f"user:{name}", after={"role": role})
    return user_from_row(row)


def load_user(session: Session, name: str) -> User | None:
    """The account with this name, or None."""
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    return None if row is None else user_from_row(row)


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return [user_from_row(row)
            for row in session.scalars(select(UserRow).order_by(UserRow.name))]


def set_role(session: Session, name: str, role: str, *, actor: str) -> User:
    """Give the user another role."""
    _check_role(role)
    row = _row(session, name)
    if row.role != role:
        _keep_an_admin(session, row, becomes_admin=role == "admin", active=row.active)
        record_audit(session, actor, "user.set_role", f"user:{name}",
                     before={"role": row.role}, after={"role": role})
        row.role = role
    return user_from_row(row)


def set_active(session: Session, name: str, active: bool, *, actor: str) -> User:
    """Disable (signing the user out everywhere) or enable an account."""
    row = _row(session, name)
    if row.active != active:
        _keep_an_admin(session, row, becomes_admin=row.role == "admin", active=active)
        record_audit(session, actor, "user.enable" if active else "user.disable",
                     f"user:{name}", before={"active": row.active}, after={"active": active})
        row.active = active
        if not active:
            _end_sessions(session, row.id)
    return user_from_row(row)


def set_password(session: Session, name: str, password: str, *, actor: str) -> User:
    """Replace the user's password and sign them out everywhere."""
    row = _row(session, name)
    row.password_hash = hash_password(password)
    row.password_changed_at = utc_now()
    _end_sessions(session, row.id)
    record_audit(session, actor, "user.set_password", f"user:{name}")
    return user_from_row(row)


def require(session: Session, name: str, permission: str) -> User:
    """The active user `name` if their role has `permission`; else PermissionDenied."""
    user = load_user(session, name)
    if user is None:
        raise PermissionDenied(f"no user named {name!r}")
    if not user.active:
        raise PermissionDenied(f"the account {name!r} is disabled")
    if not user.can(permission):
        raise PermissionDenied(f"the {user.role} role may not {permission}")
    return user


def _keep_an_admin(session: Session, row: UserRow, *, becomes_admin: bool, active: bool) -> None:
    if row.role != "admin" or (becomes_admin and active):
        return
    others = session.scalar(select(UserRow.id).where(
        UserRow.role == "admin", UserRow.active.is_(True), UserRow.id != row.id).limit(1))
    if others is None:
        raise AccountError(f"{row.name!r} is the last active admin; make another admin first")


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(LoginSessionRow).where(LoginSessionRow.user_id == user_id))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def _row(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise AccountError(f"no user named {name!r}")
    return row


def user_from_row(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=row.role, active=row.active,
                created_at=row.created_at)
