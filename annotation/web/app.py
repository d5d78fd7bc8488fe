"""The review web app: `create_app(store, secret)` builds it; `centinela serve` runs it.

Server-rendered pages (Jinja2, autoescaped: ads are hostile input), every asset served by
the app itself, a little plain JavaScript for keyboard shortcuts. Every response carries
a strict Content-Security-Policy (no inline script or style), X-Frame-Options, no-store
caching and a Server-Timing header (the benchmark reads it); cookies are HttpOnly,
SameSite=Lax, and Secure over HTTPS.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from annotation.store import Store
from annotation.web import admin, agreement, annotate, auth, cards, review, scans, wording
from annotation.web.templating import install_filters, render

WEB_DIR = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(store: Store, secret: str, cards_dir: Path | None = None) -> FastAPI:
    """The web app over an open store. `secret` signs the sign-in form's CSRF token; keep
    it the same across restarts (settings generate one per install). `cards_dir` holds
    the model cards the ad pages link to (`<home>/model-cards`)."""
    if len(secret) < 16:
        raise ValueError("the web app needs a secret of at least 16 characters")
    app = FastAPI(title="Centinela review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.secret = secret
    app.state.cards_dir = cards_dir
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    install_filters(templates)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    for module in (auth, review, scans, admin, annotate, agreement, wording, cards):
        app.include_router(module.router)
    app.add_exception_handler(auth.NeedsLogin, _to_login)
    app.add_exception_handler(StarletteHTTPException, _error_page)
    app.middleware("http")(_security_headers)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/queue", status_code=303)

    return app


async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    response.headers.update(SECURITY_HEADERS)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={auth.quote_next(target)}", status_code=303)


def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return render(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                  status_code=exc.status_code)
