"""Rendering pages: the template filters and the context every page gets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from annotation.masking import MASK_LABELS
from corpora.taxonomy import load_taxonomy


def install_filters(templates: Jinja2Templates) -> None:
    """Filters and globals the templates use (indicator names and colours, times)."""
    taxonomy = load_taxonomy()
    colour = {indicator: f"hl-{n}" for n, indicator in enumerate(taxonomy.ids)}
    env = templates.env
    env.globals["taxonomy"] = taxonomy
    env.globals["mask_labels"] = MASK_LABELS
    env.filters["indicator_class"] = lambda indicator: colour.get(indicator, "hl-none")
    env.filters["indicator_name"] = lambda indicator, lang="en": (
        taxonomy.get(indicator).name.get(lang) or taxonomy.get(indicator).name["en"]
        if indicator in colour else indicator)
    env.filters["when"] = _when


def render(request: Request, template: str, context: dict[str, Any],
           status_code: int = 200) -> Response:
    """A page, with the signed-in user and their CSRF token in its context."""
    login = getattr(request.state, "login", None)
    full = {"login": login, "csrf_token": login.csrf_token if login else "", **context}
    return request.app.state.templates.TemplateResponse(request, template, full,
                                                        status_code=status_code)


def _when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")
