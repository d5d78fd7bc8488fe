"""The model card page: the card of the model (by sha256) behind an assessment, as
`centinela evaluate` kept it in `<home>/model-cards/<sha256>/MODEL_CARD.html`
(evaluation.model_card.save_model_card; read here as a file, since the web app sits
below the evaluation layer)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from annotation.logins import LoginSession
from annotation.web.auth import permitted
from annotation.web.templating import render

CARD_HTML_FILE = "MODEL_CARD.html"
router = APIRouter()


@router.get("/models/{sha256}/card", include_in_schema=False)
def model_card_page(request: Request, sha256: str,
                    login: LoginSession = Depends(permitted("queue.view"))) -> Response:
    card = read_card_html(request.app.state.cards_dir, sha256)
    return render(request, "model_card.html", {
        "sha256": sha256, "card": None if card is None else Markup(card),
    }, status_code=200 if card else 404)


def read_card_html(cards_dir: Path | None, sha256: str) -> str | None:
    """The card's HTML section (written by the evaluation, escaped there), if kept."""
    if cards_dir is None or not (sha256.isascii() and sha256.isalnum()):
        return None
    path = Path(cards_dir) / sha256 / CARD_HTML_FILE
    return path.read_text(encoding="utf-8") if path.is_file() else None
