"""Annotation tasks for trainers: their batches, and one ad at a time with the model's
labels pre-filled. Thin over `annotation.learning.batches` and `.answers`; a task never
shows another trainer's answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from annotation.learning.answers import build_answer
from annotation.learning.batches import (
    BatchError,
    Task,
    list_batches,
    load_task,
    next_task,
    submit_answer,
)
from annotation.logins import LoginSession
from annotation.masking import find_contact_details
from annotation.web.auth import checked_form, permitted
from annotation.web.templating import render
from corpora.records import RISK_LEVELS, Ad, Evidence

router = APIRouter()


@router.get("/annotate", include_in_schema=False)
def batches_page(request: Request,
                 login: LoginSession = Depends(permitted("annotation.label"))) -> Response:
    with request.app.state.store.begin() as session:
        mine = list_batches(session, trainer=login.user.name)
    return render(request, "batches.html", {
        "batches": mine, "notice": request.query_params.get("notice")})


@router.get("/annotate/{batch_id}", include_in_schema=False)
def next_in_batch(request: Request, batch_id: int,
                  login: LoginSession = Depends(permitted("annotation.label"))) -> Response:
    with request.app.state.store.begin() as session:
        try:
            task = next_task(session, login.user.name, batch_id)
        except BatchError as exc:
            raise HTTPException(404, str(exc)) from None
    notice = request.query_params.get("notice")
    if task is None:
        return RedirectResponse(f"/annotate?notice=done&batch={batch_id}", status_code=303)
    query = f"?notice={quote(notice)}" if notice else ""
    return RedirectResponse(f"/annotate/{batch_id}/ads/{_path(task.ad.id)}{query}",
                            status_code=303)


@router.get("/annotate/{batch_id}/ads/{ad_id}", include_in_schema=False)
def task_page(request: Request, batch_id: int, ad_id: str,
              login: LoginSession = Depends(permitted("annotation.label"))) -> Response:
    return _render_task(request, _task(request, login, batch_id, ad_id))


@router.post("/annotate/{batch_id}/ads/{ad_id}", include_in_schema=False)
def submit(request: Request, batch_id: int, ad_id: str,
           login: LoginSession = Depends(permitted("annotation.label")),
           form: FormData = Depends(checked_form)) -> Response:
    task = _task(request, login, batch_id, ad_id)
    marked, spans = marks_from_form(form)
    try:
        answer = build_answer(task, login.user.name, str(form.get("status", "")),
                              indicators=marked, spans=spans,
                              risk=str(form.get("risk") or "") or None,
                              note=str(form.get("note", "")))
        with request.app.state.store.begin() as session:
            submit_answer(session, answer)
    except BatchError as exc:
        return _render_task(request, task, error=str(exc), form=form, status_code=400)
    return RedirectResponse(f"/annotate/{batch_id}?notice={answer.status}", status_code=303)


def marks_from_form(form: FormData) -> tuple[list[str], dict[str, str]]:
    """The indicators ticked and the spans typed or selected for them (the spans of an
    unticked indicator stay in the page but are not sent on)."""
    marked = [str(value) for value in form.getlist("mark")]
    spans = {str(key)[len("spans-"):]: str(value) for key, value in form.items()
             if str(key).startswith("spans-") and str(key)[len("spans-"):] in marked}
    return marked, spans


def label_state(form: FormData | None, indicators: list[str],
                evidence: dict[str, list[Evidence]], risk: str | None,
                note: str = "") -> dict[str, Any]:
    """What the labelling form shows: the posted values after an error, else the given
    labels (the model's, or a trainer's)."""
    if form is not None:
        return {"indicators": {str(value) for value in form.getlist("mark")},
                "spans": {str(k)[len("spans-"):]: str(v) for k, v in form.items()
                          if str(k).startswith("spans-")},
                "risk": form.get("risk"), "note": form.get("note", "")}
    return {"indicators": set(indicators),
            "spans": {ind: ", ".join(f"{s.start}-{s.end}" for s in spans)
                      for ind, spans in evidence.items()},
            "risk": risk, "note": note}


def text_segments(ad: Ad) -> list[dict[str, Any]]:
    """The ad's text as runs the labelling script can select in: plain runs, and contact
    details masked as one run each (a selection touching one takes it whole)."""
    contacts = sorted((e.span.start, e.span.end, e.kind)
                      for e in find_contact_details(ad.text, ad.country))
    out: list[dict[str, Any]] = []
    at = 0
    for start, end, kind in contacts:
        if start < at:
            continue
        if start > at:
            out.append({"start": at, "end": start, "text": ad.text[at:start]})
        out.append({"start": start, "end": end, "masked": kind})
        at = end
    if at < len(ad.text):
        out.append({"start": at, "end": len(ad.text), "text": ad.text[at:]})
    return out


def _task(request: Request, login: LoginSession, batch_id: int, ad_id: str) -> Task:
    with request.app.state.store.begin() as session:
        try:
            return load_task(session, login.user.name, batch_id, ad_id)
        except BatchError as exc:
            raise HTTPException(404, str(exc)) from None


def _render_task(request: Request, task: Task, *, error: str | None = None,
                 form: FormData | None = None, status_code: int = 200) -> Response:
    hits = task.prefill.hits if task.prefill else []
    return render(request, "task.html", {
        "task": task, "ad": task.ad, "prefill": task.prefill, "hits": hits,
        "segments": text_segments(task.ad), "risk_levels": RISK_LEVELS, "error": error,
        "form": label_state(form, [hit.id for hit in hits],
                            {hit.id: hit.evidence for hit in hits},
                            task.prefill.risk if task.prefill else None),
        "action": f"/annotate/{task.batch_id}/ads/{_path(task.ad.id)}",
        "notice": request.query_params.get("notice"),
    }, status_code=status_code)


def _path(ad_id: str) -> str:
    return quote(ad_id, safe="")
