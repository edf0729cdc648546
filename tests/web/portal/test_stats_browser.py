"""The statistics pages in Chromium: axe-core finds no serious problem, the SVG charts render,
screenshots at phone and desktop widths (``test-artifacts/screenshots/stats-*.png``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from repository.db import Database
from repository.models import UsageKind
from repository.stats.recorder import UsageRecorder
from repository.stats.service import stats
from repository.uow import UnitOfWork
from tests.web.portal.conftest import Portal
from tests.web.portal.test_browser import SIZES, check_page, sign_in

pytestmark = pytest.mark.slow


def test_statistics_pages_are_accessible_and_draw_their_charts(browser: Any, portal: Portal) -> None:
    db = Database(portal.settings.sqlalchemy_url)  # type: ignore[attr-defined]
    try:
        recorder = UsageRecorder(db)
        now = datetime.now(UTC)
        ids = list(portal.materials.values())
        for day in range(21):
            for n in range(3 + (day * 7) % 11):
                when = now - timedelta(days=day)
                recorder.record(UsageKind.view, f"a:{n}", material_id=ids[n % len(ids)], now=when)
                if n % 3 == 0:
                    recorder.record(UsageKind.play, f"a:{n}", material_id=ids[0], now=when)
        for n in range(4):
            recorder.record(UsageKind.search, f"a:{n}", query="diện tích hình thang", results=3, now=now)
            recorder.record(UsageKind.search, f"a:{n}", query="quang hợp ở thực vật", results=0, now=now)
        recorder.flush()
        with UnitOfWork(db) as uow:
            stats.aggregate(uow.session, retention_days=30)
    finally:
        db.dispose()
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    sign_in(page, portal.base_url, "thay_minh")
    page.goto(f"{portal.base_url}/stats")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("svg.chart rect.chart-bar").count() >= 28
    assert "quang hợp ở thực vật" in page.inner_text("main")
    check_page(page, "stats")
    page.goto(f"{portal.base_url}/stats/m/{ids[0]}")
    assert page.locator("svg.chart").count() == 3
    check_page(page, "stats-material")
    context.close()
