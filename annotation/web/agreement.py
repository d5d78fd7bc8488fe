"""The agreement dashboard and the adjudication pages: thin over
`annotation.learning.reports` and `.adjudication`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.learning.adjudication import (
    Disagreement,
    check_adjudicator,
    find_disagreements,
    record_adjudication,
)
from annotation.learning.answers import build_adjudication
from annotation.learning.batches import BatchError, list_batches
from annotation.learning.reports import agreement_trend, batch_agreement
from annotation.logins import LoginSession
from annotation.masking import find_contact_details, mask_contacts
from annotation.web.annotate import label_state, marks_from_form, text_segments
from annotation.web.auth import checked_form, permitted
from annotation.web.charts import alpha_chart, trend_chart
from annotation.web.highlight import segment_text
from annotation.web.templating import render
from corpora.records import RISK_LEVELS

router = APIRouter()
PNG = "image/png"


def _ids(request: Request) -> list[str]:
    return list(request.app.state.templates.env.globals["taxonomy"].ids)


@router.get("/agreement", include_in_schema=False)
def dashboard(request: Request, batch: int | None = None,
              login: LoginSession = Depends(permitted("annotation.agreement"))) -> Response:
    with request.app.state.store.begin() as session:
        trend = agreement_trend(session, _ids(request))
    chosen = next((b for b in trend if b.batch.id == batch), trend[-1] if trend else None)
    if batch is not None and (chosen is None or chosen.batch.id != batch):
        raise HTTPException(404, f"No batch {batch}.")
    return render(request, "agreement.html", {
        "trend": trend, "chosen": chosen, "risk_levels": RISK_LEVELS,
        "can_adjudicate": login.user.can("annotation.adjudicate")})


@router.get("/agreement/trend.png", include_in_schema=False)
def trend_png(request: Request,
              login: LoginSession = Depends(permitted("annotation.agreement"))) -> Response:
    with request.app.state.store.begin() as session:
        trend = agreement_trend(session, _ids(request))
    return Response(trend_chart(trend), media_type=PNG)


@router.get("/agreement/{batch_id}/alpha.png", include_in_schema=False)
def alpha_png(request: Request, batch_id: int,
              login: LoginSession = Depends(permitted("annotation.agreement"))) -> Response:
    with request.app.state.store.begin() as session:
        try:
            report = batch_agreement(session, batch_id, _ids(request))
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
    return Response(alpha_chart(report), media_type=PNG)


@router.get("/adjudicate", include_in_schema=False)
def adjudication_index(request: Request,
                       login: LoginSession = Depends(permitted("annotation.adjudicate"))
                       ) -> Response:
    with request.app.state.store.begin() as session:
        rows = []
        for summary in list_batches(session):
            try:
                check_adjudicator(session, summary.id, login.user.name)
                found = find_disagreements(session, summary.id)
                blocked = None
            except BatchError as exc:
                found, blocked = [], str(exc)
            rows.append((summary, found, blocked))
    return render(request, "adjudicate_index.html", {"rows": rows})


@router.get("/adjudicate/{batch_id}", include_in_schema=False)
def batch_disagreements(request: Request, batch_id: int,
                        login: LoginSession = Depends(permitted("annotation.adjudicate"))
                        ) -> Response:
    with request.app.state.store.begin() as session:
        _check(session, batch_id, login)
        found = find_disagreements(session, batch_id)
    return render(request, "disagreements.html", {
        "batch_id": batch_id, "found": found, "path": _path,
        "notice": request.query_params.get("notice")})


@router.get("/adjudicate/{batch_id}/ads/{ad_id}", include_in_schema=False)
def adjudication_page(request: Request, batch_id: int, ad_id: str,
                      login: LoginSession = Depends(permitted("annotation.adjudicate"))
                      ) -> Response:
    return _render_adjudication(request, batch_id,
                                _disagreement(request, login, batch_id, ad_id))


@router.post("/adjudicate/{batch_id}/ads/{ad_id}", include_in_schema=False)
def adjudicate(request: Request, batch_id: int, ad_id: str,
               login: LoginSession = Depends(permitted("annotation.adjudicate")),
               form: FormData = Depends(checked_form)) -> Response:
    found = _disagreement(request, login, batch_id, ad_id)
    marked, spans = marks_from_form(form)
    try:
        adjudication = build_adjudication(
            found.ad, login.user.name, batch_id=batch_id, indicators=marked, spans=spans,
            risk=str(form.get("risk") or "") or None, note=str(form.get("note", "")))
        with request.app.state.store.begin() as session:
            record_adjudication(session, adjudication)
    except (BatchError, ValueError) as exc:
        return _render_adjudication(request, batch_id, found, error=str(exc), form=form,
                                    status_code=400)
    return RedirectResponse(f"/adjudicate/{batch_id}?notice=adjudicated", status_code=303)


def _check(session: Any, batch_id: int, login: LoginSession) -> None:
    try:
        check_adjudicator(session, batch_id, login.user.name)
    except BatchError as exc:
        raise HTTPException(404 if str(exc).startswith("no batch") else 403, str(exc)) from None


def _disagreement(request: Request, login: LoginSession, batch_id: int,
                  ad_id: str) -> Disagreement:
    with request.app.state.store.begin() as session:
        _check(session, batch_id, login)
        found = next((d for d in find_disagreements(session, batch_id) if d.ad.id == ad_id),
                     None)
    if found is None:
        raise HTTPException(404, f"Ad {ad_id!r} has no disagreement in batch {batch_id}.")
    return found


def _render_adjudication(request: Request, batch_id: int, found: Disagreement, *,
                         error: str | None = None, form: FormData | None = None,
                         status_code: int = 200) -> Response:
    ad = found.ad
    taxonomy = request.app.state.templates.env.globals["taxonomy"]
    hidden = find_contact_details(ad.text, ad.country)
    views = {who: segment_text(ad.text, answer.evidence, taxonomy.ids, hidden)
             for who, answer in found.labels.items()}
    who: dict[str, list[str]] = {}
    for name, answer in found.labels.items():
        for indicator in answer.indicators:
            who.setdefault(indicator, []).append(name)
    start = found.adjudication
    if start is not None:
        state = label_state(form, start.indicators, start.evidence, start.risk, start.note)
    else:
        answers = list(found.labels.values())
        shared = set.intersection(*(set(a.indicators) for a in answers))
        evidence = {}
        for answer in answers:
            for indicator, spans in answer.evidence.items():
                evidence.setdefault(indicator, spans)
        risks = {a.risk for a in answers}
        state = label_state(form, sorted(shared), evidence,
                            risks.pop() if len(risks) == 1 else None)
    return render(request, "adjudicate.html", {
        "found": found, "ad": ad, "views": views, "who": who,
        "masked": lambda text: mask_contacts(text, ad.country),
        "segments": text_segments(ad), "risk_levels": RISK_LEVELS, "form": state,
        "error": error, "batch_id": batch_id,
        "action": f"/adjudicate/{batch_id}/ads/{_path(ad.id)}",
    }, status_code=status_code)


def _path(ad_id: str) -> str:
    return quote(ad_id, safe="")
