"""The new-wording page: phrases that rose in recent scans and that no rule covers, for
trainers to accept (for an indicator) or dismiss. Thin over annotation.learning.phrases;
accepted phrases become rule data with `centinela wording publish`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.learning.phrases import StoredPhrase, decide_phrase, list_phrases, load_phrase
from annotation.logins import LoginSession
from annotation.masking import find_contact_details, mask_contacts
from annotation.store import load_ad
from annotation.web.auth import checked_form, permitted
from annotation.web.templating import render

router = APIRouter()
STATUSES = ("open", "accepted", "dismissed")
CONTEXT_CHARS = 60


@router.get("/wording", include_in_schema=False)
def wording_page(request: Request, status: str = "open", lang: str = "",
                 login: LoginSession = Depends(permitted("wording.decide"))) -> Response:
    if status not in STATUSES:
        raise HTTPException(400, f"status is one of {', '.join(STATUSES)}")
    with request.app.state.store.begin() as session:
        phrases = list_phrases(session, status=status, lang=lang or None)  # type: ignore[arg-type]
        examples = {p.id: _examples(session, p) for p in phrases}
    return render(request, "wording.html", {
        "phrases": phrases, "examples": examples, "status": status, "lang": lang,
        "statuses": STATUSES, "notice": request.query_params.get("notice"),
        "error": request.query_params.get("error")})


@router.post("/wording/{phrase_id}", include_in_schema=False)
def decide(request: Request, phrase_id: int,
           login: LoginSession = Depends(permitted("wording.decide")),
           form: FormData = Depends(checked_form)) -> Response:
    decision = str(form.get("decision", ""))
    if decision not in ("accepted", "dismissed"):
        raise HTTPException(400, "decide accepted or dismissed")
    indicator = str(form.get("indicator") or "") or None
    taxonomy = request.app.state.templates.env.globals["taxonomy"]
    back = f"/wording?status={form.get('status') or 'open'}&lang={form.get('lang') or ''}"
    if indicator is not None and indicator not in taxonomy.ids:
        raise HTTPException(400, f"unknown indicator {indicator!r}")
    try:
        with request.app.state.store.begin() as session:
            decide_phrase(session, phrase_id, decision,  # type: ignore[arg-type]
                          actor=login.user.name,
                          indicator=indicator if decision == "accepted" else None)
    except ValueError as exc:
        with request.app.state.store.begin() as session:
            if load_phrase(session, phrase_id) is None:
                raise HTTPException(404, str(exc)) from None
        return RedirectResponse(f"{back}&error={quote(str(exc), safe='')}", status_code=303)
    return RedirectResponse(f"{back}&notice={decision}", status_code=303)


def _examples(session: Any, phrase: StoredPhrase) -> list[dict[str, str]]:
    """Where the phrase was found: a few words either side (contact details masked)."""
    out = []
    for example in phrase.examples:
        ad = load_ad(session, example["ad_id"])
        if ad is None:
            continue
        start, end = example["start"], example["end"]
        low, high = max(0, start - CONTEXT_CHARS), min(len(ad.text), end + CONTEXT_CHARS)
        for contact in find_contact_details(ad.text, ad.country):  # never cut one in two
            if contact.span.start < low < contact.span.end:
                low = contact.span.start
            if contact.span.start < high < contact.span.end:
                high = contact.span.end
        out.append({"ad_id": ad.id,
                    "before": ("…" if low else "") + mask_contacts(ad.text[low:start], ad.country),
                    "phrase": ad.text[start:end],
                    "after": mask_contacts(ad.text[end:high], ad.country)
                    + ("…" if high < len(ad.text) else "")})
    return out
