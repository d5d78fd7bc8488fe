"""Signing in and out, the session a page needs, its role check and CSRF tokens.

Signed in: the session cookie opens a login session in the store, whose CSRF token every
form must carry. Signing in: the form's token is an HMAC, under the install secret, of a
random value in a short-lived cookie, so a page elsewhere cannot post it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.logins import (
    SESSION_LIFETIME,
    LoginSession,
    LoginThrottled,
    authenticate,
    end_session,
    load_session,
    start_session,
)
from annotation.web.templating import render

SESSION_COOKIE = "centinela_session"
LOGIN_COOKIE = "centinela_login"
router = APIRouter()


class NeedsLogin(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""


def signed_in(request: Request) -> LoginSession:
    """The request's login session; without one, NeedsLogin (a redirect to /login)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    login = None
    if token:
        with request.app.state.store.begin() as session:
            login = load_session(session, token)
    if login is None:
        raise NeedsLogin()
    request.state.login = login
    return login


def permitted(permission: str) -> Callable[..., LoginSession]:
    """A dependency: the login session, if its user's role has `permission` (else 403)."""
    def check(login: LoginSession = Depends(signed_in)) -> LoginSession:
        if not login.user.can(permission):
            raise HTTPException(403, f"Your role ({login.user.role}) may not do this.")
        return login
    return check


async def checked_form(request: Request, login: LoginSession = Depends(signed_in)) -> FormData:
    """The posted form, if it carries this session's CSRF token (else 403)."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, login.csrf_token):
        raise HTTPException(403, "This form has expired or came from another site. "
                                 "Go back, reload the page and try again.")
    return form


def quote_next(target: str) -> str:
    return quote(target, safe="")


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/queue") -> Response:
    return _login_form(request, _safe_next(next))


@router.post("/login", include_in_schema=False)
def login(request: Request, name: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/queue")) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(csrf_token, _login_token(request, nonce)):
        raise HTTPException(403, "The sign-in form has expired. Reload it and try again.")
    client = request.client.host if request.client else "unknown"
    store = request.app.state.store
    try:
        with store.begin() as session:
            user = authenticate(session, name, password, client)
            token = start_session(session, user)[0] if user else None
    except LoginThrottled as exc:
        return _login_form(request, _safe_next(next), str(exc).capitalize() + ".", 429,
                           name=name)
    if token is None:
        return _login_form(request, _safe_next(next), "Wrong user name or password.", 401,
                           name=name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, login: LoginSession = Depends(signed_in),
           form: FormData = Depends(checked_form)) -> Response:
    with request.app.state.store.begin() as session:
        end_session(session, request.cookies.get(SESSION_COOKIE, ""), login.user.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _login_form(request: Request, next_path: str, error: str | None = None,
                status_code: int = 200, name: str = "") -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(request, "login.html", {
        "login_token": _login_token(request, nonce), "next": next_path, "error": error,
        "name": name}, status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path="/login", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


def _login_token(request: Request, nonce: str) -> str:
    key = request.app.state.secret.encode("utf-8")
    return hmac.new(key, f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def _safe_next(target: str) -> str:
    """Only a path on this site (never '//elsewhere' or 'https://elsewhere')."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/queue"
    return target
