"""Portal home (server-rendered). The portal issue grows this into browse, search and viewers."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from repository.material.service import material as material_service
from web.deps import OptionalUser, ReadSession

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: ReadSession, user: OptionalUser) -> HTMLResponse:
    items, total = material_service.list(session, user, page=1, size=50)
    return templates.TemplateResponse(request, "home.html", {"materials": items, "total": total})
