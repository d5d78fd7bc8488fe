"""The scans page: what each scan read, stored and flagged."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from annotation.logins import LoginSession
from annotation.store import count_risks, list_scans
from annotation.web.auth import permitted
from annotation.web.templating import render

router = APIRouter()
SCANS_SHOWN = 50


@router.get("/scans", include_in_schema=False)
def scans_page(request: Request,
               login: LoginSession = Depends(permitted("scans.view"))) -> Response:
    with request.app.state.store.begin() as session:
        scans = list_scans(session, limit=SCANS_SHOWN)
        risks = {scan.id: count_risks(session, scan_id=scan.id) for scan in scans}
    return render(request, "scans.html", {"scans": scans, "risks": risks})
