"""The model card page: the card of the model (by sha256) behind an assessment, from the
evaluation kept in `<home>/model-cards/` (evaluation.model_card)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from annotation.logins import LoginSession
from annotation.web.auth import permitted
from annotation.web.templating import render
from evaluation.model_card import card_html, load_card_report

router = APIRouter()


@router.get("/models/{sha256}/card", include_in_schema=False)
def model_card_page(request: Request, sha256: str,
                    login: LoginSession = Depends(permitted("queue.view"))) -> Response:
    report = load_card_report(request.app.state.cards_dir, sha256)
    card = None if report is None else next(
        (name for name, result in report["detectors"].items()
         if result["model"]["sha256"] == sha256), None)
    return render(request, "model_card.html", {
        "sha256": sha256, "card": Markup(card_html(report, card)) if card else None,
    }, status_code=200 if card else 404)
