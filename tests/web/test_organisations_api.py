"""Organisations over the API: creation, the team and its roles, curator scope by organisation,
a material's organisation and the public page (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from repository.models import Role, User
from repository.uow import UnitOfWork
from tests.factories import create_material, token_for
from tests.repository.curation.helpers import MATH_5, finish_ingest, person, submit_and_approve

ORG = {"slug": "dhsp-ha-noi", "name": "Khoa Sư phạm, ĐH Sư phạm Hà Nội", "kind": "university"}


@pytest.fixture
def team(runtime: Any, client: TestClient) -> dict[str, dict[str, str]]:
    """Accounts: an admin, a manager-to-be, teachers, a curator; the organisation exists."""
    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        person(s, "quan_tri", Role.admin)
        person(s, "co_nga", Role.teacher)
        person(s, "co_hoa", Role.teacher)
        person(s, "co_lan", Role.teacher)
        person(s, "thay_duc", Role.curator, {"subjects": ["ngu-van"]})
        person(s, "thay_toan", Role.curator, MATH_5)
    headers = {
        name: token_for(client, name) for name in ("quan_tri", "co_nga", "co_hoa", "co_lan", "thay_duc")
    }
    created = client.post("/api/v1/organisations", json=ORG, headers=headers["quan_tri"])
    assert created.status_code == 201, created.text
    added = client.post(
        "/api/v1/organisations/dhsp-ha-noi/members",
        json={"username": "co_nga", "role": "manager"},
        headers=headers["quan_tri"],
    )
    assert added.status_code == 201, added.text
    return headers


def _scope(runtime: Any, username: str) -> dict[str, Any]:
    with runtime.db.read() as s:
        from repository.user.store import UserStore

        user = UserStore.from_session(s).by_username(username)
        assert isinstance(user, User)
        return dict(user.scope)


class TestCreate:
    def test_only_admins_create_and_bad_input_is_named(
        self, team: dict[str, Any], client: TestClient
    ) -> None:
        other = {**ORG, "slug": "so-gd-hue"}
        assert client.post("/api/v1/organisations", json=other, headers=team["co_nga"]).status_code == 403
        assert client.post("/api/v1/organisations", json=other).status_code == 401
        taken = client.post("/api/v1/organisations", json=ORG, headers=team["quan_tri"])
        assert taken.status_code == 409
        for bad in ({**other, "slug": "Có Dấu"}, {**other, "kind": "club"}, {**other, "slug": "-x-"}):
            response = client.post("/api/v1/organisations", json=bad, headers=team["quan_tri"])
            assert response.status_code == 422, bad
        listed = client.get("/api/v1/organisations").json()
        assert [(o["slug"], o["materials"]) for o in listed] == [("dhsp-ha-noi", 0)]

    def test_an_unknown_organisation_is_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/organisations/khong-co").status_code == 404


class TestTeam:
    def test_a_manager_invites_changes_and_removes_members(
        self, team: dict[str, Any], client: TestClient
    ) -> None:
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        added = client.post(base, json={"username": "co_hoa"}, headers=team["co_nga"])
        assert added.status_code == 201, added.text
        assert added.json()["role"] == "member"
        # A plain member manages nobody.
        refused = client.post(base, json={"username": "co_lan"}, headers=team["co_hoa"])
        assert refused.status_code == 403
        assert client.post(base, json={"username": "co_hoa"}, headers=team["co_nga"]).status_code == 409
        assert client.post(base, json={"username": "khong_ai"}, headers=team["co_nga"]).status_code == 404
        members = client.get(base, headers=team["co_hoa"]).json()
        assert {(m["username"], m["role"]) for m in members} == {("co_nga", "manager"), ("co_hoa", "member")}
        # Outsiders do not see the team.
        assert client.get(base, headers=team["co_lan"]).status_code == 403
        assert client.get(base).status_code == 401
        promoted = client.patch(f"{base}/co_hoa", json={"role": "manager"}, headers=team["co_nga"])
        assert promoted.json()["role"] == "manager"
        assert client.delete(f"{base}/co_nga", headers=team["co_hoa"]).status_code == 204
        assert [m["username"] for m in client.get(base, headers=team["co_hoa"]).json()] == ["co_hoa"]

    def test_the_last_manager_cannot_leave_or_step_down(
        self, team: dict[str, Any], client: TestClient
    ) -> None:
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        assert client.delete(f"{base}/co_nga", headers=team["co_nga"]).status_code == 409
        down = client.patch(f"{base}/co_nga", json={"role": "member"}, headers=team["co_nga"])
        assert down.status_code == 409
        assert "manager" in down.json()["error"]["message"]
        # An admin may (an organisation with no manager is run by the admins).
        assert client.delete(f"{base}/co_nga", headers=team["quan_tri"]).status_code == 204

    def test_a_manager_cannot_make_a_teacher_a_reviewer(
        self, team: dict[str, Any], client: TestClient
    ) -> None:
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        refused = client.post(base, json={"username": "co_hoa", "role": "curator"}, headers=team["co_nga"])
        assert refused.status_code == 422
        assert "curator" in refused.json()["error"]["message"]
        client.post(base, json={"username": "co_hoa"}, headers=team["co_nga"])
        again = client.patch(f"{base}/co_hoa", json={"role": "curator"}, headers=team["co_nga"])
        assert again.status_code == 422

    def test_an_organisation_curator_also_reviews_its_materials(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        org_id = client.get("/api/v1/organisations/dhsp-ha-noi").json()["organisation"]["id"]
        ok = client.post(base, json={"username": "thay_duc", "role": "curator"}, headers=team["co_nga"])
        assert ok.status_code == 201, ok.text
        # His own scope (literature, set by an admin) is untouched; the organisation is added.
        assert _scope(runtime, "thay_duc") == {"subjects": ["ngu-van"], "curates_for": [org_id]}
        ids = self._two_submissions(runtime, team, client)
        queue = client.get("/api/v1/review/queue", headers=team["thay_duc"]).json()
        assert [i["material_id"] for i in queue["items"]] == [ids["ours"]]
        assert client.get(f"/api/v1/materials/{ids['theirs']}", headers=team["thay_duc"]).status_code == 404
        # A submitted material's organisation is fixed for its owner (the reviewer sees what was sent).
        moved = client.put(
            f"/api/v1/materials/{ids['ours']}/organisation",
            json={"organisation": None},
            headers=team["co_hoa"],
        )
        assert moved.status_code == 409
        # Leaving the curator role takes the organisation away again, and only that.
        client.patch(f"{base}/thay_duc", json={"role": "member"}, headers=team["co_nga"])
        assert _scope(runtime, "thay_duc") == {"subjects": ["ngu-van"]}
        assert client.get("/api/v1/review/queue", headers=team["thay_duc"]).json()["total"] == 0

    def _two_submissions(self, runtime: Any, team: dict[str, Any], client: TestClient) -> dict[str, str]:
        """co_hoa's grade-5 maths submission in the organisation's name, co_lan's on her own."""
        client.post(
            "/api/v1/organisations/dhsp-ha-noi/members", json={"username": "co_hoa"}, headers=team["co_nga"]
        )
        with UnitOfWork(runtime.db) as uow:
            s = uow.session
            from repository.user.store import UserStore

            hoa = UserStore.from_session(s).by_username("co_hoa")
            lan = UserStore.from_session(s).by_username("co_lan")
            assert hoa is not None
            assert lan is not None
            ours = create_material(
                s, runtime, hoa, title="Của đơn vị", metadata=MATH_5, content=b"%PDF-1.4 a"
            )
            theirs = create_material(s, runtime, lan, title="Cá nhân", metadata=MATH_5, content=b"%PDF-1.4 b")
            for m in (ours, theirs):
                finish_ingest(s, m)
            ids = {"ours": ours.id, "theirs": theirs.id}
        named = client.put(
            f"/api/v1/materials/{ids['ours']}/organisation",
            json={"organisation": "dhsp-ha-noi"},
            headers=team["co_hoa"],
        )
        assert named.status_code == 200, named.text
        # co_lan is no member: she may not publish in the organisation's name.
        refused = client.put(
            f"/api/v1/materials/{ids['theirs']}/organisation",
            json={"organisation": "dhsp-ha-noi"},
            headers=team["co_lan"],
        )
        assert refused.status_code == 403
        for who, key in (("co_hoa", "ours"), ("co_lan", "theirs")):
            assert client.post(f"/api/v1/materials/{ids[key]}/submit", headers=team[who]).status_code == 200
        return ids

    def test_an_admin_scopes_a_curator_to_an_organisation(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        ids = self._two_submissions(runtime, team, client)
        users = client.get("/api/v1/admin/users", headers=team["quan_tri"]).json()
        toan = next(u for u in users if u["username"] == "thay_toan")
        url = f"/api/v1/admin/users/{toan['id']}"
        unknown = client.patch(url, json={"scope": {"organisations": ["khong-co"]}}, headers=team["quan_tri"])
        assert unknown.status_code == 422
        assert unknown.json()["error"]["details"][0]["field"] == "scope.organisations[0]"
        changed = client.patch(
            url, json={"scope": {**MATH_5, "organisations": ["dhsp-ha-noi"]}}, headers=team["quan_tri"]
        )
        assert changed.status_code == 200, changed.text
        toan_headers = token_for(client, "thay_toan")
        queue = client.get("/api/v1/review/queue", headers=toan_headers).json()
        assert [i["material_id"] for i in queue["items"]] == [ids["ours"]]

    def test_a_manager_can_neither_narrow_nor_widen_a_curators_own_scope(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        """The organisation's curator role only adds its materials: making a national curator the
        organisation's curator leaves them national, and taking it from a curator whom an admin
        limited to the organisation leaves them limited."""
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        ids = self._two_submissions(runtime, team, client)
        users = client.get("/api/v1/admin/users", headers=team["quan_tri"]).json()
        toan = next(u for u in users if u["username"] == "thay_toan")
        assert (
            client.post(
                base, json={"username": "thay_toan", "role": "curator"}, headers=team["co_nga"]
            ).status_code
            == 201
        )
        toan_headers = token_for(client, "thay_toan")
        assert client.get("/api/v1/review/queue", headers=toan_headers).json()["total"] == 2
        client.patch(
            f"/api/v1/admin/users/{toan['id']}",
            json={"scope": {**MATH_5, "organisations": ["dhsp-ha-noi"]}},
            headers=team["quan_tri"],
        )
        assert client.delete(f"{base}/thay_toan", headers=team["co_nga"]).status_code == 204
        queue = client.get("/api/v1/review/queue", headers=toan_headers).json()
        assert [i["material_id"] for i in queue["items"]] == [ids["ours"]]

    def test_an_admin_scope_change_keeps_the_organisation_curator_role(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        base = "/api/v1/organisations/dhsp-ha-noi/members"
        client.post(base, json={"username": "thay_duc", "role": "curator"}, headers=team["co_nga"])
        users = client.get("/api/v1/admin/users", headers=team["quan_tri"]).json()
        duc = next(u for u in users if u["username"] == "thay_duc")
        changed = client.patch(
            f"/api/v1/admin/users/{duc['id']}", json={"scope": {"grades": [5]}}, headers=team["quan_tri"]
        )
        assert changed.status_code == 200, changed.text
        assert set(_scope(runtime, "thay_duc")) == {"subjects", "grades", "curates_for"}


class TestPage:
    def test_the_page_counts_approved_materials_by_grade_and_subject(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        client.post(
            "/api/v1/organisations/dhsp-ha-noi/members", json={"username": "co_hoa"}, headers=team["co_nga"]
        )
        from repository.organisation.service import organisations
        from repository.user.store import UserStore

        with UnitOfWork(runtime.db) as uow:
            s = uow.session
            users = UserStore.from_session(s)
            hoa, toan = users.by_username("co_hoa"), users.by_username("thay_toan")
            assert hoa is not None
            assert toan is not None
            org = organisations.get(s, "dhsp-ha-noi")
            made = []
            for n, meta in enumerate(
                (MATH_5, MATH_5, {"subjects": ["toan", "tieng-viet"], "grades": [5]}, MATH_5)
            ):
                m = create_material(
                    s, runtime, hoa, title=f"Bài {n}", metadata=meta, content=f"%PDF-1.4 {n}".encode()
                )
                m.organisation_id = org.id
                finish_ingest(s, m)
                made.append(m)
            for m in made[:3]:  # the fourth stays a draft: not on the public page
                submit_and_approve(s, runtime.settings, hoa, toan, m)
        page = client.get("/api/v1/organisations/dhsp-ha-noi").json()
        assert page["total"] == 3
        assert page["members"] == 2
        assert page["by_grade"] == {"5": 3}
        counts = {(g["grade"], g["subject"]): g["count"] for g in page["groups"]}
        assert counts == {(5, "toan"): 3, (5, "tieng-viet"): 1}
        listed = client.get("/api/v1/organisations").json()
        assert listed[0]["materials"] == 3


def publish_two(runtime: Any) -> dict[str, str]:
    """Two approved grade-5 maths materials: ``ours`` contributed by dhsp-ha-noi, ``solo`` by nobody."""
    from repository.organisation.service import organisations
    from repository.user.store import UserStore

    with UnitOfWork(runtime.db) as uow:
        s = uow.session
        users = UserStore.from_session(s)
        hoa, toan = users.by_username("co_hoa"), users.by_username("thay_toan")
        assert hoa is not None
        assert toan is not None
        ours = create_material(s, runtime, hoa, title="Phân số", metadata=MATH_5, content=b"%PDF-1.4 ours")
        solo = create_material(
            s, runtime, hoa, title="Số thập phân", metadata=MATH_5, content=b"%PDF-1.4 solo"
        )
        ours.organisation_id = organisations.get(s, "dhsp-ha-noi").id
        for m in (ours, solo):
            finish_ingest(s, m)
            submit_and_approve(s, runtime.settings, hoa, toan, m)
        return {"ours": ours.id, "solo": solo.id}


class TestExports:
    @pytest.fixture
    def published(self, runtime: Any, team: dict[str, Any], client: TestClient) -> dict[str, str]:
        client.post(
            "/api/v1/organisations/dhsp-ha-noi/members", json={"username": "co_hoa"}, headers=team["co_nga"]
        )
        return publish_two(runtime)

    def test_lrmi_names_the_organisation_as_publisher(
        self, runtime: Any, published: dict[str, str], client: TestClient
    ) -> None:
        base = runtime.settings.base_url.rstrip("/")
        ours = client.get(f"/api/v1/materials/{published['ours']}/lrmi").json()
        assert ours["publisher"] == {
            "@type": "Organization",
            "name": ORG["name"],
            "url": f"{base}/o/dhsp-ha-noi",
        }
        solo = client.get(f"/api/v1/materials/{published['solo']}/lrmi").json()
        assert solo["publisher"]["name"] == "Hoclieu - Kho học liệu số"

    def test_oai_dc_publisher_and_the_organisation_set(
        self, runtime: Any, published: dict[str, str], client: TestClient
    ) -> None:
        import xml.etree.ElementTree as ET

        ns = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
        sets = ET.fromstring(client.get("/oai?verb=ListSets").content)
        specs = {e.text: e for e in sets.iterfind(".//o:set/o:setSpec", ns)}
        assert {"org", "org:dhsp-ha-noi"} <= set(specs)
        listed = ET.fromstring(
            client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&set=org:dhsp-ha-noi").content
        )
        records = listed.findall(".//o:record", ns)
        assert len(records) == 1
        header = records[0].find("o:header", ns)
        assert header is not None
        assert header.findtext("o:identifier", namespaces=ns, default="").endswith(published["ours"])
        assert "org:dhsp-ha-noi" in [e.text for e in header.iterfind("o:setSpec", ns)]
        assert [e.text for e in records[0].iterfind(".//dc:publisher", ns)] == [ORG["name"]]
        # The parent set holds every contributed material; an unknown organisation has no records.
        parent = ET.fromstring(client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&set=org").content)
        assert len(parent.findall(".//o:header", ns)) == 1
        unknown = ET.fromstring(
            client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&set=org:khong-co").content
        )
        error = unknown.find("o:error", ns)
        assert error is not None
        assert error.get("code") == "noRecordsMatch"
        # The single-record export carries dc:publisher too, and a material of nobody has none.
        single = client.get(f"/api/v1/materials/{published['ours']}/oai_dc").text
        assert f"<dc:publisher>{ORG['name']}</dc:publisher>" in single
        assert "dc:publisher" not in client.get(f"/api/v1/materials/{published['solo']}/oai_dc").text


class TestSearch:
    def test_search_filters_and_labels_the_organisation_facet(
        self, runtime: Any, team: dict[str, Any], client: TestClient
    ) -> None:
        from search.service import close_backend
        from tests.search.helpers import run_index_queue

        client.post(
            "/api/v1/organisations/dhsp-ha-noi/members", json={"username": "co_hoa"}, headers=team["co_nga"]
        )
        published = publish_two(runtime)
        try:
            run_index_queue(runtime)
            everything = client.get("/api/v1/search", params={"q": "phân số"}).json()
            assert everything["facets"]["organisation"] == [
                {"value": "dhsp-ha-noi", "label": ORG["name"], "count": 1}
            ]
            only = client.get("/api/v1/search", params={"organisation": "dhsp-ha-noi"}).json()
            assert [h["id"] for h in only["hits"]] == [published["ours"]]
            bad = client.get("/api/v1/search", params={"organisation": "<script>"})
            assert bad.status_code == 400
            assert "organisation" in bad.json()["error"]["message"]
            # Clearing the material's organisation (an admin may, even published) re-indexes it.
            cleared = client.put(
                f"/api/v1/materials/{published['ours']}/organisation",
                json={"organisation": None},
                headers=team["quan_tri"],
            )
            assert cleared.status_code == 200, cleared.text
            run_index_queue(runtime)
            after = client.get("/api/v1/search", params={"organisation": "dhsp-ha-noi"}).json()
            assert after["total"] == 0
        finally:
            close_backend(runtime.settings)
