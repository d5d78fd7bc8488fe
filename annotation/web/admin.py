"""Admin pages: users and roles, and the audit log. Thin over `annotation.accounts`."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.accounts import (
    AccountError,
    add_user,
    list_users,
    set_active,
    set_password,
    set_role,
)
from annotation.logins import LoginSession
from annotation.roles import PERMISSIONS, ROLES, permission_table
from annotation.store import list_audit
from annotation.web.auth import checked_form, permitted
from annotation.web.templating import render

router = APIRouter(prefix="/admin")
AUDIT_PER_PAGE = 100


@router.get("/users", include_in_schema=False)
def users_page(request: Request, notice: str | None = None,
               login: LoginSession = Depends(permitted("users.manage"))) -> Response:
    return _users_view(request, notice=notice)


@router.post("/users", include_in_schema=False)
def add_user_form(request: Request, login: LoginSession = Depends(permitted("users.manage")),
                  form: FormData = Depends(checked_form)) -> Response:
    password = str(form.get("password", ""))
    if password != str(form.get("password_again", "")):
        return _users_error(request, login, "The two passwords differ.")
    name = str(form.get("name", ""))
    return _change(request, login, f"Added {name}.", lambda session: add_user(
        session, name, str(form.get("role", "")), password, actor=login.user.name))


@router.post("/users/{name}/role", include_in_schema=False)
def set_role_form(request: Request, name: str,
                  login: LoginSession = Depends(permitted("users.manage")),
                  form: FormData = Depends(checked_form)) -> Response:
    role = str(form.get("role", ""))
    return _change(request, login, f"{name} is now {role}.", lambda session: set_role(
        session, name, role, actor=login.user.name))


@router.post("/users/{name}/active", include_in_schema=False)
def set_active_form(request: Request, name: str,
                    login: LoginSession = Depends(permitted("users.manage")),
                    form: FormData = Depends(checked_form)) -> Response:
    active = form.get("active") == "yes"
    return _change(request, login, f"{name} is {'enabled' if active else 'disabled'}.",
                   lambda session: set_active(session, name, active, actor=login.user.name))


@router.post("/users/{name}/password", include_in_schema=False)
def set_password_form(request: Request, name: str,
                      login: LoginSession = Depends(permitted("users.manage")),
                      form: FormData = Depends(checked_form)) -> Response:
    return _change(request, login, f"New password set for {name}.", lambda session: (
        set_password(session, name, str(form.get("password", "")), actor=login.user.name)))


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, page: int = 1, actor: str = "", action: str = "",
               target: str = "",
               login: LoginSession = Depends(permitted("audit.view"))) -> Response:
    page = max(page, 1)
    with request.app.state.store.begin() as session:
        entries = list_audit(session, actor=actor or None, action=action or None,
                             target=target or None, limit=AUDIT_PER_PAGE + 1,
                             offset=(page - 1) * AUDIT_PER_PAGE)
    query = "&".join(f"{key}={quote(value)}" for key, value in
                     (("actor", actor), ("action", action), ("target", target)) if value)
    return render(request, "audit.html", {
        "entries": entries[:AUDIT_PER_PAGE], "more": len(entries) > AUDIT_PER_PAGE,
        "page": page, "actor": actor, "action": action, "target": target, "query": query})


def _change(request: Request, login: LoginSession, done: str, change) -> Response:  # type: ignore[no-untyped-def]
    try:
        with request.app.state.store.begin() as session:
            change(session)
    except AccountError as exc:
        return _users_error(request, login, str(exc))
    return RedirectResponse(f"/admin/users?notice={quote(done)}", status_code=303)


def _users_error(request: Request, login: LoginSession, message: str) -> Response:
    return _users_view(request, error=message, status_code=400)


def _users_view(request: Request, *, notice: str | None = None, error: str | None = None,
                status_code: int = 200) -> Response:
    with request.app.state.store.begin() as session:
        users = list_users(session)
    return render(request, "users.html", {
        "users": users, "roles": ROLES, "permissions": PERMISSIONS,
        "permission_table": permission_table(), "notice": notice, "error": error,
    }, status_code=status_code)
