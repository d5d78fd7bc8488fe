"""The queue page, the ad page and the decision form: thin over `annotation.queue`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.decisions import DecisionError, build_decision, parse_offsets
from annotation.logins import LoginSession
from annotation.masking import UnmaskError, find_contact_details, mask_contacts, unmask_contacts
from annotation.queue import (
    AdReview,
    LeaseHeldError,
    QueueError,
    QueueFilters,
    claim_next,
    decide,
    list_queue,
    list_sources,
    load_review,
)
from annotation.web.auth import checked_form, permitted
from annotation.web.highlight import segment_text
from annotation.web.templating import render
from corpora.records import DECISIONS, RISK_LEVELS

router = APIRouter()
PER_PAGE = 50
_FILTER_NAMES = ("lang", "risk", "indicator", "source", "country", "date_from", "date_to",
                 "state")


@router.get("/queue", include_in_schema=False)
def queue_page(request: Request, page: int = 1,
               login: LoginSession = Depends(permitted("queue.view"))) -> Response:
    filters = _filters(request.query_params)
    with request.app.state.store.begin() as session:
        listing = list_queue(session, filters, page=max(page, 1), per_page=PER_PAGE)
        sources = list_sources(session)
    params = filters.to_params()
    return render(request, "queue.html", {
        "listing": listing, "filters": filters, "params": params, "sources": sources,
        "query": urlencode(params), "risk_levels": RISK_LEVELS,
        "notice": request.query_params.get("notice"), "mask": mask_contacts,
        "page_link": lambda n: "/queue?" + urlencode({**params, "page": n}),
        "state_link": lambda state: "/queue?" + urlencode(
            {**{k: v for k, v in params.items() if k != "state"},
             **({"state": state} if state != "open" else {})}),
    })


@router.post("/queue/next", include_in_schema=False)
def next_item(request: Request, login: LoginSession = Depends(permitted("queue.decide")),
              form: FormData = Depends(checked_form)) -> Response:
    filters = _filters(form)
    after = form.get("after")
    with request.app.state.store.begin() as session:
        try:
            ad_id = claim_next(session, login.user.name, filters,
                               after=after if isinstance(after, str) and after else None)
        except QueueError as exc:
            raise HTTPException(404, str(exc)) from None
    return _go_to(ad_id, filters)


@router.get("/ads/{ad_id}", include_in_schema=False)
def ad_page(request: Request, ad_id: str,
            login: LoginSession = Depends(permitted("queue.view"))) -> Response:
    return _render_ad(request, login, ad_id, _filters(request.query_params))


@router.post("/ads/{ad_id}/contacts", include_in_schema=False)
def unmask_contacts_form(request: Request, ad_id: str,
                         login: LoginSession = Depends(permitted("contacts.unmask")),
                         form: FormData = Depends(checked_form)) -> Response:
    filters = _filters(form)
    try:
        with request.app.state.store.begin() as session:
            _review(session, ad_id)  # 404 for an unknown ad, before auditing anything
            unmask_contacts(session, ad_id, user=login.user.name,
                            reason=str(form.get("reason", "")), via="web")
    except UnmaskError as exc:
        return _render_ad(request, login, ad_id, filters, error=str(exc), status_code=400)
    return _render_ad(request, login, ad_id, filters, unmasked=True)


@router.post("/ads/{ad_id}/decision", include_in_schema=False)
def decide_ad(request: Request, ad_id: str,
              login: LoginSession = Depends(permitted("queue.decide")),
              form: FormData = Depends(checked_form)) -> Response:
    filters = _filters(form)
    store = request.app.state.store
    try:
        with store.begin() as session:
            review = _review(session, ad_id)
            decision = build_decision(
                review, login.user.name, str(form.get("decision", "")),
                indicators=[str(value) for value in form.getlist("keep")],
                spans={str(key)[len("spans-"):]: parse_offsets(str(value))
                       for key, value in form.items()
                       if str(key).startswith("spans-") and str(key)[len("spans-"):]
                       in form.getlist("keep")},
                risk=str(form.get("set_risk") or "") or None, note=str(form.get("note", "")))
            revision = decide(session, decision)
    except DecisionError as exc:
        return _render_ad(request, login, ad_id, filters, error=str(exc), status_code=400,
                          form=form)
    except LeaseHeldError as exc:
        return _render_ad(request, login, ad_id, filters, error=str(exc), status_code=409)
    if revision is not None:
        return _go_to(revision, filters, notice="revised")
    with store.begin() as session:
        next_id = claim_next(session, login.user.name, filters)
    return _go_to(next_id, filters, notice="decided")


def _render_ad(request: Request, login: LoginSession, ad_id: str, filters: QueueFilters, *,
               unmasked: bool = False, error: str | None = None, status_code: int = 200,
               form: FormData | None = None) -> Response:
    with request.app.state.store.begin() as session:
        review = _review(session, ad_id)
    taxonomy = request.app.state.templates.env.globals["taxonomy"]
    hits = review.assessment.hits if review.assessment else []
    evidence = {hit.id: hit.evidence for hit in hits}
    ad = review.ad
    hidden = () if unmasked else find_contact_details(ad.text, ad.country)
    return render(request, "ad.html", {
        "review": review, "ad": ad, "assessment": review.assessment, "hits": hits,
        "segments": segment_text(ad.text, evidence, taxonomy.ids, hidden),
        "masked": (lambda text: text) if unmasked else (
            lambda text: mask_contacts(text, ad.country)),
        "unmasked": unmasked, "filters": filters,
        "filter_items": list(filters.to_params().items()),
        "query": urlencode(filters.to_params()), "risk_levels": RISK_LEVELS,
        "decisions": DECISIONS, "error": error, "form": _form_state(review, form),
        "held_by": review.item.leased_to() if review.item else None,
        "can_decide": login.user.can("queue.decide") and review.item is not None,
        "can_unmask": login.user.can("contacts.unmask"),
        "notice": request.query_params.get("notice"),
    }, status_code=status_code)


def _form_state(review: AdReview, form: FormData | None) -> dict[str, Any]:
    """What the decision form shows: the posted values after an error, else the model's."""
    hits = review.assessment.hits if review.assessment else []
    if form is not None:
        return {"indicators": set(form.getlist("keep")),
                "spans": {str(k)[len("spans-"):]: str(v) for k, v in form.items()
                          if str(k).startswith("spans-")},
                "risk": form.get("set_risk"), "note": form.get("note", "")}
    return {"indicators": {hit.id for hit in hits},
            "spans": {hit.id: ", ".join(f"{s.start}-{s.end}" for s in hit.evidence)
                      for hit in hits},
            "risk": review.assessment.risk if review.assessment else None, "note": ""}


def _review(session: Any, ad_id: str) -> AdReview:
    review = load_review(session, ad_id)
    if review is None:
        raise HTTPException(404, f"No ad with id {ad_id!r}.")
    return review


def _filters(params: Any) -> QueueFilters:
    try:
        return QueueFilters.from_params(
            {name: str(params.get(name) or "") for name in _FILTER_NAMES})
    except QueueError as exc:
        raise HTTPException(400, str(exc)) from None


def _go_to(ad_id: str | None, filters: QueueFilters, notice: str | None = None) -> Response:
    params = filters.to_params()
    if ad_id is None:
        return RedirectResponse("/queue?" + urlencode({**params, "notice": "empty"}),
                                status_code=303)
    query = urlencode({**params, **({"notice": notice} if notice else {})})
    return RedirectResponse(f"/ads/{_path(ad_id)}" + (f"?{query}" if query else ""),
                            status_code=303)


def _path(ad_id: str) -> str:
    return quote(ad_id, safe="")
