"""Accounts, roles and login sessions (annotation/accounts.py, roles.py, logins.py), on
SQLite and PostgreSQL; the permission table in the README matches the code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from annotation.accounts import (
    AccountError,
    PermissionDenied,
    add_user,
    list_users,
    require,
    set_active,
    set_password,
    set_role,
)
from annotation.logins import (
    MAX_FAILURES,
    SESSION_LIFETIME,
    LoginThrottled,
    authenticate,
    end_session,
    load_session,
    start_session,
)
from annotation.roles import PERMISSIONS, ROLES, can, permission_table
from annotation.store import Store, list_audit
from annotation.store.tables import LoginSessionRow, UserRow
from corpora.records import utc_now

PASSWORD = "correct horse battery"
README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_passwords_are_stored_as_argon2id_hashes_only(store: Store) -> None:
    with store.begin() as session:
        add_user(session, "ana", "investigator", PASSWORD, actor="cli:root")
    with store.begin() as session:
        stored = session.scalar(select(UserRow.password_hash))
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert authenticate(session, "ana", PASSWORD, "127.0.0.1").name == "ana"
        assert authenticate(session, "ana", PASSWORD + "!", "127.0.0.1") is None
        (entry,) = list_audit(session, action="user.add")
        assert (entry.actor, entry.target, entry.after) == ("cli:root", "user:ana",
                                                            {"role": "investigator"})


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("Ana Maria", "investigator", PASSWORD, "not a valid user name"),
    ("ana", "boss", PASSWORD, "role must be one of"),
    ("ana", "investigator", "short", "at least 10 characters"),
])
def test_bad_accounts_are_refused(store: Store, fast_passwords: None, name: str, role: str,
                                  password: str, message: str) -> None:
    with store.begin() as session, pytest.raises(AccountError, match=message):
        add_user(session, name, role, password, actor="test")


def test_names_are_unique_and_accounts_change_with_audit(store: Store,
                                                         fast_passwords: None) -> None:
    with store.begin() as session:
        add_user(session, "root", "admin", PASSWORD, actor="test")
        add_user(session, "ana", "trainer", PASSWORD, actor="test")
    with store.begin() as session, pytest.raises(AccountError, match="already exists"):
        add_user(session, "ana", "analyst", PASSWORD, actor="test")
    with store.begin() as session:
        set_role(session, "ana", "investigator", actor="root")
        set_password(session, "ana", "another long password", actor="root")
        assert [(u.name, u.role, u.active) for u in list_users(session)] == [
            ("ana", "investigator", True), ("root", "admin", True)]
        actions = [entry.action for entry in list_audit(session, target="user:ana")]
        assert actions == ["user.set_password", "user.set_role", "user.add"]
        assert all("hash" not in str(entry.after) for entry in list_audit(session))
        assert authenticate(session, "ana", "another long password", "c") is not None


def test_the_last_active_admin_stays(store: Store, fast_passwords: None) -> None:
    with store.begin() as session:
        add_user(session, "root", "admin", PASSWORD, actor="test")
    for change in (lambda s: set_role(s, "root", "analyst", actor="root"),
                   lambda s: set_active(s, "root", False, actor="root")):
        with store.begin() as session, pytest.raises(AccountError, match="last active admin"):
            change(session)
    with store.begin() as session:
        add_user(session, "second", "admin", PASSWORD, actor="root")
        set_role(session, "root", "analyst", actor="second")


def test_sessions_open_expire_and_end(store: Store, fast_passwords: None) -> None:
    with store.begin() as session:
        user = add_user(session, "ana", "investigator", PASSWORD, actor="test")
        token, login = start_session(session, user)
    with store.begin() as session:
        assert session.scalar(select(LoginSessionRow.token_hash)) != token  # only a hash
        assert load_session(session, token).user.name == "ana"
        assert load_session(session, token).csrf_token == login.csrf_token
        assert load_session(session, token, utc_now() + SESSION_LIFETIME) is None
        assert load_session(session, "not-a-token") is None
        end_session(session, token, "ana")
    with store.begin() as session:
        assert load_session(session, token) is None


@pytest.mark.parametrize("change", ["disable", "password"])
def test_disabling_or_a_new_password_signs_out_everywhere(store: Store, fast_passwords: None,
                                                          change: str) -> None:
    with store.begin() as session:
        add_user(session, "root", "admin", PASSWORD, actor="test")
        token, _ = start_session(session, add_user(session, "ana", "analyst", PASSWORD,
                                                   actor="test"))
    with store.begin() as session:
        if change == "disable":
            set_active(session, "ana", False, actor="root")
        else:
            set_password(session, "ana", "a brand new password", actor="root")
    with store.begin() as session:
        assert load_session(session, token) is None


def test_sign_in_failures_are_limited_by_name_and_by_client(store: Store,
                                                            fast_passwords: None) -> None:
    with store.begin() as session:
        add_user(session, "ana", "analyst", PASSWORD, actor="test")
    for attempt in range(MAX_FAILURES):
        with store.begin() as session:
            assert authenticate(session, "ana", "wrong", f"10.0.0.{attempt}") is None
    with store.begin() as session, pytest.raises(LoginThrottled, match="try again in 15"):
        authenticate(session, "ana", PASSWORD, "10.0.0.99")
    later = utc_now() + timedelta(minutes=16)
    with store.begin() as session:
        assert authenticate(session, "ana", PASSWORD, "10.0.0.99", now=later) is not None
    for attempt in range(MAX_FAILURES):
        with store.begin() as session:
            authenticate(session, f"guess{attempt}", "wrong", "10.9.9.9")
    with store.begin() as session, pytest.raises(LoginThrottled):
        authenticate(session, "ana", PASSWORD, "10.9.9.9")


def test_require_checks_account_and_role(store: Store, fast_passwords: None) -> None:
    with store.begin() as session:
        add_user(session, "root", "admin", PASSWORD, actor="test")
        add_user(session, "tito", "trainer", PASSWORD, actor="test")
        assert require(session, "root", "audit.view").name == "root"
        with pytest.raises(PermissionDenied, match="trainer role may not queue.decide"):
            require(session, "tito", "queue.decide")
        with pytest.raises(PermissionDenied, match="no user named"):
            require(session, "ghost", "queue.view")
        set_active(session, "tito", False, actor="root")
        with pytest.raises(PermissionDenied, match="disabled"):
            require(session, "tito", "queue.view")


def test_every_role_can_see_the_queue_and_only_admins_manage() -> None:
    assert all(can(role, "queue.view") for role in ROLES)
    assert [role for role in ROLES if can(role, "users.manage")] == ["admin"]
    assert [role for role in ROLES if can(role, "queue.decide")] == ["admin", "investigator"]
    with pytest.raises(KeyError):
        can("admin", "launch.missiles")


def test_the_readme_shows_the_permission_table() -> None:
    header = "| permission | " + " | ".join(ROLES) + " | what it allows |"
    assert header in README
    for permission, *cells in permission_table():
        marks = " | ".join("yes" if cell else "" for cell in cells)
        row = f"| `{permission}` | {marks} | {PERMISSIONS[permission]} |"
        assert row in README, f"README.md lacks the row: {row}"
