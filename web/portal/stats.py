"""Statistics pages: the catalogue's usage for curators (top and zero-result searches by week,
most-used materials per grade and subject) and one material's counts for its owner and curators.

JSON twins: ``/api/v1/stats/...`` (same service, same rules); charts are inline SVG
(``web.portal.charts``) with the numbers in a table beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from repository.models import UsageKind, User
from repository.stats.recorder import STATS_TZ, stats_day
from repository.stats.service import Period, stats
from web.deps import ReadSession, RuntimeDep
from web.portal import charts
from web.portal.i18n import format_date, format_number, request_lang, translate
from web.portal.render import label, render, terms
from web.portal.session import CuratorPortalUser, PortalUser, SignInRequired

router = APIRouter(include_in_schema=False)

CHART_DAYS = 28
TOP = 20


def _short(day: date, lang: str) -> str:
    return f"{day.day:02d}/{day.month:02d}" if lang == "vi" else f"{day.month}/{day.day}"


@router.get("/stats", response_class=HTMLResponse)
def catalogue(
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    user: CuratorPortalUser,
    week: Annotated[str | None, Query(max_length=10)] = None,
    grade: Annotated[int | None, Query(ge=1, le=12)] = None,
    subject: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    lang = request_lang(request)
    if week:
        period = Period.iso_week(week)
    else:
        year, number, _ = stats_day().isocalendar()
        period = Period.iso_week(f"{year}-W{number:02d}")
    iso_year, iso_week, _ = period.start.isocalendar()
    this_week = f"{iso_year}-W{iso_week:02d}"
    prev_start = (period.start - timedelta(days=7)).isocalendar()
    next_start = (period.start + timedelta(days=7)).isocalendar()
    chart_period = Period(period.end - timedelta(days=CHART_DAYS - 1), period.end)
    summary = stats.summary(session, user, chart_period)
    week_days = [d for d in summary.days if period.start <= d.day <= period.end]
    week_total = {k: sum(getattr(d, k) for d in week_days) for k in ("view", "play", "download", "search")}
    searches = stats.searches(
        session, user, period, min_searches=runtime.settings.stats_min_query_searches, limit=TOP
    )
    subject = subject or None
    top = stats.top_materials(
        session, user, period, kind=UsageKind.view, grade=grade, subject=subject, limit=TOP
    )

    def num(v: int) -> str:
        return format_number(v, lang)

    views_chart = charts.columns(
        [(_short(d.day, lang), d.view) for d in summary.days],
        title=_t(lang, "stats.chart_views", days=CHART_DAYS),
        number=num,
    )
    grade_chart = charts.bars(
        [(_t(lang, "grade.label", g=g.value), g.view) for g in summary.grades],
        title=_t(lang, "stats.chart_grades", days=CHART_DAYS),
        number=num,
    )
    subject_rows = sorted(summary.subjects, key=lambda s: -s.view)[:12]
    subject_chart = charts.bars(
        [(label("subject", s.value, lang), s.view) for s in subject_rows],
        title=_t(lang, "stats.chart_subjects", days=CHART_DAYS),
        number=num,
    )
    week_query = {"week": this_week}
    filters = {k: v for k, v in {"grade": grade, "subject": subject}.items() if v is not None}
    return render(
        request,
        "portal/stats.html",
        {
            "period": period,
            "week": this_week,
            "prev_week": f"{prev_start[0]}-W{prev_start[1]:02d}",
            "next_week": f"{next_start[0]}-W{next_start[1]:02d}" if period.end < stats_day() else None,
            "week_total": week_total,
            "summary": summary,
            "searches": searches,
            "top": top,
            "grade": grade,
            "subject": subject,
            "subjects": terms("subject", lang),
            "views_chart": views_chart,
            "grade_chart": grade_chart,
            "subject_chart": subject_chart,
            "subject_rows": subject_rows,
            "fmt_day": lambda d: format_date_day(d, lang),
            "csv_searches": "/api/v1/stats/searches?" + urlencode({**week_query, "format": "csv"}),
            "csv_top": "/api/v1/stats/materials?"
            + urlencode({"from": period.start, "to": period.end, **filters, "limit": 500, "format": "csv"}),
            "csv_summary": "/api/v1/stats/summary?"
            + urlencode({"from": chart_period.start, "to": chart_period.end, "format": "csv"}),
        },
        user=user,
        twin="/api/v1/stats/searches?" + urlencode(week_query),
    )


@router.get("/stats/m/{material_id}", response_class=HTMLResponse)
def material(
    material_id: str,
    request: Request,
    session: ReadSession,
    user: PortalUser,
    days: Annotated[int, Query(ge=7, le=366)] = 30,
) -> HTMLResponse:
    lang, period = _signed_in(request, user, days)
    report = stats.material(session, user, material_id, period)

    chart = {kind: _daily_chart(report.days, kind, lang, days) for kind in ("view", "play", "download")}
    return render(
        request,
        "portal/stats_material.html",
        {
            "report": report,
            "days": days,
            "charts": chart,
            "rows": [d for d in report.days if d.view or d.play or d.download],
            "fmt_day": lambda d: format_date_day(d, lang),
            "csv": f"/api/v1/stats/materials/{material_id}?"
            + urlencode({"from": period.start, "to": period.end, "format": "csv"}),
        },
        user=user,
        twin=f"/api/v1/stats/materials/{material_id}",
    )


def _signed_in(request: Request, user: User | None, days: int) -> tuple[str, Period]:
    """The reader's language and the last ``days`` days, for a page that needs a signed-in reader."""
    if user is None:
        raise SignInRequired("sign in first")
    return request_lang(request), Period.of(None, None, default_days=days)


def format_date_day(day: date, lang: str) -> str:
    """A statistics day as the portal writes dates (noon in Vietnam: never the day before)."""
    return format_date(datetime.combine(day, time(12), tzinfo=STATS_TZ), lang)


def _daily_chart(rows: Sequence[Any], kind: str, lang: str, days: int) -> Markup:
    """A column chart of one count (``view``, ``play``, ``download``) per day over ``days``."""
    return charts.columns(
        [(_short(d.day, lang), getattr(d, kind)) for d in rows],
        title=_t(lang, f"stats.chart_material_{kind}", days=days),
        number=lambda v: format_number(v, lang),
        every=7 if days <= 60 else 30,
    )


def _t(lang: str, key: str, **values: object) -> str:
    return translate(lang, key, **values)


@router.get("/o/{slug}/stats", response_class=HTMLResponse)
def organisation(
    slug: str,
    request: Request,
    session: ReadSession,
    user: PortalUser,
    days: Annotated[int, Query(ge=7, le=366)] = 30,
) -> HTMLResponse:
    lang, period = _signed_in(request, user, days)
    report = stats.organisation(session, user, slug, period)

    chart = _daily_chart(report.days, "view", lang, days)
    return render(
        request,
        "portal/stats_organisation.html",
        {
            "report": report,
            "days": days,
            "chart": chart,
            "csv": f"/api/v1/stats/organisations/{quote(slug)}?"
            + urlencode({"from": period.start, "to": period.end, "format": "csv"}),
        },
        user=user,
        twin=f"/api/v1/stats/organisations/{quote(slug)}",
    )
