"""An organisation's statistics: its contributed materials' counts (a join through them), for its
members, curators, admins and stats clients; API (JSON, CSV) and portal page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Material, MemberRole, OrganisationKind, Role, UsageKind
from repository.organisation.schemas import MemberAdd, OrganisationCreate
from repository.organisation.service import organisations
from repository.stats.recorder import UsageRecorder, stats_day
from repository.uow import UnitOfWork
from search.service import close_backend
from tests.factories import create_user, token_for
from tests.search.helpers import populate
from tests.web.test_usage_stats import CHROME, aggregate


@pytest.fixture
def ids(runtime: Any) -> Iterator[dict[str, str]]:
    found = populate(runtime)
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        admin = create_user(s, username="qt_org", role=Role.admin)
        for name in ("co_hoa", "co_lan"):
            create_user(s, username=name, role=Role.teacher)
        organisations.create(
            s, admin, OrganisationCreate(slug="dhsp", name="ĐH Sư phạm", kind=OrganisationKind.university)
        )
        organisations.add_member(s, admin, "dhsp", MemberAdd(username="co_hoa", role=MemberRole.member))
        org_id = organisations.get(s, "dhsp").id
        for key in ("phan-so-5", "hinh-tron-5"):  # the organisation contributes these two
            m = s.get(Material, found[key])
            assert m is not None
            m.organisation_id = org_id
    recorder = UsageRecorder(runtime.db)
    for key, n in (("phan-so-5", 4), ("hinh-tron-5", 2), ("tap-doc-5", 9)):
        for v in range(n):
            recorder.record(UsageKind.view, f"a:{v}", material_id=found[key])
    recorder.record(UsageKind.download, "a:1", material_id=found["hinh-tron-5"])
    recorder.flush()
    aggregate(runtime)
    yield found
    close_backend(runtime.settings)


def test_members_read_their_organisations_counts_and_top_materials(
    client: TestClient, ids: dict[str, str]
) -> None:
    body = client.get("/api/v1/stats/organisations/dhsp", headers=token_for(client, "co_hoa")).json()
    assert body["total"]["view"] == 6  # tap-doc-5's 9 views are someone else's
    assert body["total"]["download"] == 1
    assert body["days"][-1]["day"] == stats_day().isoformat()
    assert [(m["id"], m["count"]) for m in body["top"]] == [(ids["phan-so-5"], 4), (ids["hinh-tron-5"], 2)]
    got = client.get("/api/v1/stats/organisations/dhsp?format=csv", headers=token_for(client, "co_hoa"))
    rows = list(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert rows[0] == ["day", "view", "play", "download"]
    assert rows[-1] == [stats_day().isoformat(), "6", "0", "1"]


@pytest.mark.usefixtures("ids")
def test_others_do_not_and_unknown_organisations_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/stats/organisations/dhsp").status_code == 401
    assert (
        client.get("/api/v1/stats/organisations/dhsp", headers=token_for(client, "co_lan")).status_code == 403
    )
    got = client.get("/api/v1/stats/organisations/khong-co", headers=token_for(client, "qt_org"))
    assert got.status_code == 404


def test_the_portal_dashboard_is_linked_from_the_organisation_page(
    client: TestClient, ids: dict[str, str]
) -> None:
    token = token_for(client, "co_hoa")["Authorization"].split()[1]
    client.cookies.set("hl_session", f"x:{token}")
    headers = {"Accept": "text/html", "User-Agent": CHROME}
    assert 'href="/o/dhsp/stats"' in client.get("/o/dhsp", headers=headers).text
    page = client.get("/o/dhsp/stats", headers=headers)
    assert page.status_code == 200
    assert "Thống kê: ĐH Sư phạm" in page.text
    assert '<svg class="chart"' in page.text
    assert f'href="/m/{ids["phan-so-5"]}"' in page.text
    assert f'href="/m/{ids["tap-doc-5"]}"' not in page.text
    client.cookies.clear()
    assert 'href="/o/dhsp/stats"' not in client.get("/o/dhsp", headers=headers).text
