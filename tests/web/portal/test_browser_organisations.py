"""The organisation pages in Chromium: axe-core (no serious or critical violation) and phone and
desktop screenshots of the public page, the team page and a dry run of a collection import.

Screenshots: ``test-artifacts/screenshots/organisation*.png`` (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repository.models import Role
from repository.organisation.schemas import MemberAdd, OrganisationCreate
from repository.organisation.service import organisations
from repository.uow import UnitOfWork
from tests.repository.curation.helpers import person
from tests.servers import start_server, stop_server
from tests.web.portal.test_browser import SIZES, check_page, sign_in
from tests.web.test_cli_collection import MAPPING
from tests.web.test_collection_api import GOOD, zipped
from tests.web.test_organisations_api import ORG, publish_two

pytestmark = pytest.mark.slow


@pytest.fixture
def site(runtime: Any) -> Iterator[dict[str, Any]]:
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        admin = person(s, "quan_tri", Role.admin)
        person(s, "co_nga", Role.teacher)
        person(s, "co_hoa", Role.teacher)
        person(s, "thay_toan", Role.curator, {"subjects": ["toan"]})
        organisations.create(s, admin, OrganisationCreate.model_validate(ORG))
        for username, role in (("co_nga", "manager"), ("co_hoa", "member")):
            organisations.add_member(
                s, admin, "dhsp-ha-noi", MemberAdd.model_validate({"username": username, "role": role})
            )
    published = publish_two(runtime)
    port, proc = start_server(runtime, timeout=120)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "materials": published}
    finally:
        stop_server(proc)


def test_organisation_pages_are_accessible(browser: Any, site: dict[str, Any], tmp_path: Path) -> None:
    context = browser.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    base = site["base"]
    try:
        page.goto(f"{base}/o/dhsp-ha-noi")
        assert page.get_attribute("html", "lang") == "vi"
        assert page.locator(f"a[href='/m/{site['materials']['ours']}']").count() == 1
        check_page(page, "organisation")
        page.goto(f"{base}/o")
        check_page(page, "organisations")
        sign_in(page, base, "co_nga")
        page.goto(f"{base}/o/dhsp-ha-noi/members")
        assert page.locator("text=Mời thành viên").count() >= 1
        check_page(page, "organisation-team")
        archive = tmp_path / "bo-suu-tap.zip"
        archive.write_bytes(zipped(GOOD))
        page.goto(f"{base}/o/dhsp-ha-noi/import")
        page.fill("#import-mapping", MAPPING)
        page.set_input_files("#import-file", str(archive))
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        assert page.locator("#report-h").inner_text() == "Kết quả chạy thử"
        check_page(page, "organisation-import")
    finally:
        context.close()
